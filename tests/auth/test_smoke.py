from tests.helpers import login_as


def test_engineer_signs_in_and_sees_home(client, engineer):
    login_as(client, engineer)
    page = client.get("/")
    assert page.status_code == 200
    assert "Welcome, Eli Engineer" in page.text
