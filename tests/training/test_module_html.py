"""Module text is shown with |safe, so it is sanitized when it is synced."""

from portal.training.services import active_module
from tests.helpers import login_as
from tests.training.conftest import sync, write_module

PAYLOAD = (
    "# Title\n\nReal text.\n\n"
    "<script>window.__pwned = 1</script>\n\n"
    '<img src="x" onerror="window.__pwned = 2">\n\n'
    "[a link](javascript:window.__pwned=3)\n\n"
    "| keep | tables |\n|---|---|\n| 1 | 2 |\n"
)


def test_a_script_in_a_module_file_never_reaches_the_page(
    app, db, content_root, engineer
):
    write_module(content_root, "scripted", body=PAYLOAD)
    sync(content_root)
    html = active_module("scripted").current_version.body_html
    assert "Real text." in html and "<table>" in html
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html

    client = app.test_client()
    login_as(client, engineer)
    page = client.get("/training/modules/scripted")
    assert page.status_code == 200
    assert "window.__pwned" not in page.text
