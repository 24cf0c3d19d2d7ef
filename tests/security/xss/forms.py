"""The forms on a page, read with the standard library's HTML parser, and
filled the way the battery fills them: payloads into every text a person can
type, valid values everywhere else so that the form is accepted."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

TEXT_INPUTS = {"text", "search", "url", "tel", ""}
# Not in a request: what a browser leaves out.
UNSENT = {"submit", "button", "reset", "image", "file"}
NEW_PASSWORD = "Quartz-lantern-97-harbour"


# The inputs the portal's name rule (portal/text.py) applies to.
NAME_INPUTS = {"display_name", "name", "title"}
# Inputs whose value has a format the portal checks before anything is kept
# (a review's ticket link, its people's addresses): given a valid value so the
# form's free text is accepted. Hostile values for them are tested on their own
# (tests/reviews).
FORMATTED = {
    "ticket_url": "https://tickets.example.com/SEC-1",
    "guardians": "",
    "reviewers": "",
}


@dataclass
class Field:
    name: str
    kind: str  # input type, "textarea" or "select"
    value: str = ""
    maxlength: int | None = None
    checked: bool = False
    minimum: str | None = None
    required: bool = False
    options: list = field(default_factory=list)  # (value, selected)
    multiple: bool = False

    @property
    def fuzzed(self):
        """Text a person types, or an empty hidden value a person can send."""
        if self.name in FORMATTED:
            return False
        if self.kind in TEXT_INPUTS or self.kind == "textarea":
            return True
        return self.kind == "hidden" and not self.value and self.name != "csrf_token"

    @property
    def multiline(self):
        return self.kind == "textarea"

    @property
    def is_name(self):
        """A person's, org's, team's or cohort's name (portal.forms.name_field)."""
        return self.kind != "textarea" and self.name in NAME_INPUTS


@dataclass
class Form:
    page: str
    action: str
    method: str
    confirm: bool
    fields: list

    @property
    def fuzzed_fields(self):
        return [f for f in self.fields if f.fuzzed]

    @property
    def has_password(self):
        return any(f.kind == "password" for f in self.fields)


class FormParser(HTMLParser):
    """Every <form> of a page with its fields, in page order."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms = []
        self._form = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(
                page=self.page,
                action=urlsplit(action)._replace(scheme="", netloc="").geturl(),
                method=(a.get("method") or "get").lower(),
                confirm="data-confirm" in a,
                fields=[],
            )
            self.forms.append(self._form)
        elif self._form is not None and a.get("name"):
            self._field(tag, a)
        elif tag == "option" and self._select is not None:
            self._select.options.append((a.get("value", ""), "selected" in a))

    def _field(self, tag, a):
        maxlength = a.get("maxlength")
        common = {
            "name": a["name"],
            "maxlength": int(maxlength) if maxlength else None,
            "required": "required" in a,
        }
        if tag == "input":
            kind = (a.get("type") or "").lower()
            self._form.fields.append(
                Field(
                    kind=kind,
                    value=a.get("value") or "",
                    checked="checked" in a,
                    minimum=a.get("min"),
                    **common,
                )
            )
        elif tag == "textarea":
            self._textarea = Field(kind="textarea", **common)
            self._form.fields.append(self._textarea)
        elif tag == "select":
            self._select = Field(kind="select", multiple="multiple" in a, **common)
            self._form.fields.append(self._select)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._textarea is not None:
            # The HTML parser drops one newline right after <textarea>.
            self._textarea.value = self._textarea.value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def forms_on(page_url, html):
    parser = FormParser(page_url)
    parser.feed(html)
    parser.close()
    return parser.forms


def _choice(select):
    chosen = [value for value, selected in select.options if selected]
    if select.multiple:
        return chosen
    if chosen:
        return chosen[:1]
    return [select.options[0][0]] if select.options else []


def _valid_value(f, email):
    """A value the form accepts for a field that carries no payload: what the
    page filled in, else for a required field the smallest valid one."""
    if f.kind == "email":
        return email()
    if f.kind == "password":
        return NEW_PASSWORD
    if f.value or not f.required:
        return f.value
    if f.kind == "number":
        return f.minimum or "1"
    if f.kind == "date":
        return (date.today() + timedelta(days=30)).isoformat()
    return f.value


def fill(form, text_for, email):
    """The request data for ``form``: ``text_for(field)`` for fuzzed fields,
    ``email()`` for email inputs, valid choices and values for the rest."""
    data, radios = [], set()
    for f in form.fields:
        if f.kind in UNSENT:
            continue
        if f.name in FORMATTED:
            data.append((f.name, FORMATTED[f.name]))
        elif f.fuzzed:
            data.append((f.name, text_for(f)))
        elif f.kind == "select":
            data += [(f.name, value) for value in _choice(f)]
        elif f.kind == "checkbox":
            if f.checked:
                data.append((f.name, f.value or "on"))
        elif f.kind == "radio":
            group = [g for g in form.fields if g.kind == "radio" and g.name == f.name]
            if f.name not in radios:
                radios.add(f.name)
                picked = next((g for g in group if g.checked), group[0])
                data.append((f.name, picked.value))
        else:
            data.append((f.name, _valid_value(f, email)))
    return data
