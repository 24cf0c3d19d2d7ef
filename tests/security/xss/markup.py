"""What a payload could smuggle into HTML: scripts, handlers, active URLs,
frames, objects and styles. The same rules are checked three ways: on the HTML
the server sends, on the DOM Chromium builds from it (page_check.js) and on
the HTML the portal stores."""

import re
from html.parser import HTMLParser

from portal.config import PROJECT_ROOT
from tests.security.xss.corpus import EVALUATED_PROBES, PROBE_AS_TEXT
from tests.security.xss.forms import FormParser

OWN_RESOURCES = ("/static/", "/bootstrap/static/")
FORBIDDEN_ELEMENTS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "style", "portal", "noembed",
}  # fmt: skip
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "data", "background", "poster",
    "srcset", "cite", "longdesc", "lowsrc", "dynsrc", "ping", "codebase",
    "icon", "manifest", "xlink:href", "to", "values", "from", "by",
}  # fmt: skip
ACTIVE_SCHEME = re.compile(r"^(javascript|vbscript|data):", re.IGNORECASE)
# A style a payload wrote (the portal's own inline styles are its templates'
# business, and the Content Security Policy keeps them from applying).
PAYLOAD_STYLE = re.compile(r"__xss|javascript|expression\(|url\(|~\d+~", re.IGNORECASE)
# How a browser reads a URL (the WHATWG URL standard): tabs and line breaks
# go wherever they are, C0 controls and spaces only at either end. A space
# inside ("java   script:") leaves no scheme: a harmless relative link.
TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
CONTROL_OR_SPACE = "".join(map(chr, range(0x21)))
EMAIL_TEMPLATES = PROJECT_ROOT / "templates" / "email"


def active_url(value):
    """True when a browser would read ``value`` as a script or data URL."""
    url = TAB_OR_NEWLINE.sub("", value or "").strip(CONTROL_OR_SPACE)
    return bool(ACTIVE_SCHEME.match(url))


def email_template_styles():
    """The inline styles the portal's own email templates write."""
    styles = set()
    for template in EMAIL_TEMPLATES.glob("*.html"):
        styles |= set(re.findall(r'style="([^"{}]*)"', template.read_text()))
    return styles


def _own(url):
    path = re.sub(r"^https?://[^/]+", "", url or "")
    return path.startswith(OWN_RESOURCES)


class _Checker(HTMLParser):
    def __init__(self, page, allowed_styles):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.allowed_styles = allowed_styles
        self.findings = []

    def _style_allowed(self, value):
        if self.page:
            return not PAYLOAD_STYLE.search(value)
        return value in self.allowed_styles

    def _found(self, tag, what):
        self.findings.append(f"<{tag}> {what}")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not (self.page and _own(a.get("src"))):
            self._found(tag, f"script element src={a.get('src')!r}")
        if tag in FORBIDDEN_ELEMENTS:
            self._found(tag, "element")
        if tag == "meta" and "http-equiv" in a:
            self._found(tag, f"http-equiv={a['http-equiv']!r}")
        if tag == "link" and not (self.page and _own(a.get("href"))):
            self._found(tag, f"link href={a.get('href')!r}")
        for name, value in attrs:
            self._attribute(tag, name, value or "")

    handle_startendtag = handle_starttag

    def _attribute(self, tag, name, value):
        if name.startswith("on") or name in {"srcdoc", "formaction"}:
            self._found(tag, f"{name}={value!r}")
        elif name == "style" and not self._style_allowed(value):
            self._found(tag, f"style={value!r}")
        elif (name in URL_ATTRIBUTES or name.endswith(":href")) and active_url(value):
            self._found(tag, f"{name}={value!r}")


class _PageReader(FormParser):
    """A page's forms and findings, from one pass of the parser."""

    def __init__(self, page_url):
        super().__init__(page_url)
        self.checker = _Checker(page=True, allowed_styles=frozenset())

    def handle_starttag(self, tag, attrs):
        super().handle_starttag(tag, attrs)
        self.checker.handle_starttag(tag, attrs)


def read_page(page_url, html):
    """(forms, findings) of a page the portal served."""
    reader = _PageReader(page_url)
    reader.feed(html)
    reader.close()
    return reader.forms, reader.checker.findings


def findings_in(html, page=True, allowed_styles=frozenset()):
    """Everything in ``html`` a payload could have injected. On a page the
    portal's own script and stylesheet files are allowed, and inline styles
    that carry no payload; in stored HTML only ``allowed_styles``."""
    checker = _Checker(page, allowed_styles)
    checker.feed(html or "")
    checker.close()
    return checker.findings


# The same rules for the live DOM (page_check.js).
DOM_RULES = {
    "forbidden": sorted(FORBIDDEN_ELEMENTS),
    "urls": sorted(URL_ATTRIBUTES),
    "own": list(OWN_RESOURCES),
    "payloadStyle": PAYLOAD_STYLE.pattern,
}


class Inspector:
    """Collects what is wrong in every HTML document the battery sees: injected
    markup, evaluated template probes, the secret key."""

    def __init__(self, secret_key):
        self.forbidden = (*EVALUATED_PROBES, secret_key)
        self.findings = []
        self.documents = 0
        self.probe_shown = False

    def inspect(self, where, html, findings=None):
        """``findings``: what read_page found in ``html``, if it was read."""
        self.documents += 1
        findings = findings_in(html) if findings is None else findings
        self.findings += [f"{where}: {found}" for found in findings]
        self.findings += [
            f"{where}: shows {text!r}" for text in self.forbidden if text in html
        ]
        self.probe_shown = self.probe_shown or PROBE_AS_TEXT in html

    def inspect_text(self, where, text):
        """Text that is not a page (an email): only the probes and the key."""
        self.documents += 1
        self.findings += [
            f"{where}: shows {found!r}" for found in self.forbidden if found in text
        ]
