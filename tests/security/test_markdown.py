"""A bio is Markdown from a person: it is stored sanitized and shown without script."""

import re

import pytest

from portal.accounts.models import User
from portal.rendering import render_user_markdown
from tests.helpers import login_as

HOSTILE_BIO = "\n\n".join(
    [
        "Hello, I am **Eli** and I like [the OWASP site](https://owasp.org).",
        "<script>alert('bio-script')</script>",
        '<img src="x" onerror="alert(\'bio-onerror\')">',
        '<a href="https://example.com" onclick="alert(\'bio-onclick\')">click</a>',
        "[innocent link](javascript:alert('bio-js-link'))",
        "<a href=\"javascript:alert('bio-js-anchor')\">anchor</a>",
        "<a href=\"JaVaScRiPt:alert('bio-js-mixed')\">mixed case</a>",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=\"alert('bio-svg')\"></svg>",
        '<p style="background:url(javascript:alert(1))">styled</p>',
        '<form action="https://evil.example"><input name="password"></form>',
    ]
)
PAYLOAD_MARKERS = [
    "bio-script",
    "bio-onerror",
    "bio-onclick",
    "bio-js-link",
    "bio-js-anchor",
    "bio-js-mixed",
    "bio-svg",
]


def _profile_form(user, bio):
    return {
        "display_name": user.display_name,
        "team_id": user.team_id or 0,
        "location": "",
        "seniority": "",
        "bio": bio,
    }


def _assert_harmless(html):
    lowered = html.lower()
    for needle in (
        "<script",
        "onerror",
        "onclick",
        "onload",
        "javascript:",
        "<iframe",
        "<svg",
        "<img",
        "style=",
        "<form",
        "<input",
    ):
        assert needle not in lowered, f"{needle!r} survived sanitizing"


@pytest.fixture
def saved_bio(db, client, engineer):
    login_as(client, engineer)
    response = client.post("/profile", data=_profile_form(engineer, HOSTILE_BIO))
    assert response.status_code == 302, "the profile was not saved"
    db.session.expire_all()
    return db.session.get(User, engineer.id)


def test_bio_html_is_sanitized_at_write_time(saved_bio):
    assert saved_bio.bio_markdown == HOSTILE_BIO  # the author's text is kept as typed
    _assert_harmless(saved_bio.bio_html)
    # What is allowed survives, with links made safe to follow.
    assert "<strong>Eli</strong>" in saved_bio.bio_html
    assert re.search(
        r'<a href="https://owasp.org" rel="[^"]*noopener[^"]*">', saved_bio.bio_html
    )


def test_person_page_shows_no_script_from_the_bio(client, saved_bio, make_user):
    page = client.get(f"/people/{saved_bio.id}")
    blank = client.get(f"/people/{make_user().id}")

    assert page.status_code == 200
    assert "<strong>Eli</strong>" in page.text
    # Only the portal's own script tags, as on a profile with no bio.
    assert page.text.count("<script") == blank.text.count("<script")
    assert re.findall(r"<script[^>]*>", page.text) == re.findall(
        r"<script[^>]*>", blank.text
    )
    for marker in PAYLOAD_MARKERS:
        assert f"alert('{marker}')" not in page.text
    assert "javascript:" not in page.text.lower()
    assert "onerror" not in page.text.lower()


def test_other_profile_fields_are_escaped(client, engineer, db):
    login_as(client, engineer)
    form = _profile_form(engineer, "")
    form["display_name"] = "<script>alert('name')</script>"
    form["location"] = '"><img src=x onerror=alert(1)>'
    assert client.post("/profile", data=form).status_code == 302

    page = client.get(f"/people/{engineer.id}").text

    assert "<script>alert('name')</script>" not in page
    assert "&lt;script&gt;alert(" in page
    assert "<img src=x onerror" not in page


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '![x](x "onerror=alert(1)")',
        "<img src=x onerror=alert(1)>",
        "<a href='vbscript:msgbox(1)'>x</a>",
        '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    ],
)
def test_render_user_markdown_strips_active_content(markdown):
    html = render_user_markdown(markdown).lower()

    assert "<script" not in html
    assert "javascript:" not in html and "vbscript:" not in html and "data:" not in html
    assert "onerror" not in html
    assert "<img" not in html and "<math" not in html


def test_code_blocks_show_markup_as_text():
    html = render_user_markdown("```\n<script>alert(1)</script>\n```")

    assert "<script" not in html
    assert "<code>&lt;script&gt;alert(1)&lt;/script&gt;" in html
