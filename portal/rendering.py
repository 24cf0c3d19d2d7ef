"""Markdown rendering: training content from content/ and text people write.

Both are converted by Python-Markdown and then cleaned with nh3 (an allowlist
HTML sanitizer); the result is stored once at write time and is the only HTML
templates mark ``|safe``. Content files are reviewed in the repository, but a
script slipped into one must not run in every learner's browser either.
"""

import re
import threading

import markdown
import nh3

USER_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "strong",
    "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


_parsers = threading.local()


def _user_parser():
    """One Markdown parser per thread, reset between texts: building one loads
    its extensions, which cost more than most texts do to convert."""
    parser = getattr(_parsers, "user", None)
    if parser is None:
        parser = _parsers.user = markdown.Markdown(
            extensions=USER_EXTENSIONS, output_format="html"
        )
    return parser.reset()


def render_user_markdown(text):
    """Markdown written by a person, as HTML safe to show to anyone."""
    html = _user_parser().convert(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )


CHECKLIST_ITEM = re.compile(r"<li>\[ \]\s*")


# Content may also carry heading anchors and classes (toc, attr_list) and images.
CONTENT_TAGS = ALLOWED_TAGS | {"img", "div", "span", "dl", "dt", "dd", "caption"}
CONTENT_ATTRIBUTES = {
    **ALLOWED_ATTRIBUTES,
    "*": {"id", "class"},
    "img": {"src", "alt", "title"},
}


def render_trusted_markdown(text):
    """Markdown from the portal's own content/ folder, as sanitized HTML.

    Checklist items written "- [ ] ..." become list items with a box glyph.
    """
    html = markdown.markdown(
        text or "",
        extensions=["fenced_code", "tables", "sane_lists", "toc", "attr_list"],
    )
    html = CHECKLIST_ITEM.sub('<li class="checklist-item">', html)
    return nh3.clean(
        html,
        tags=CONTENT_TAGS,
        attributes=CONTENT_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
    )
