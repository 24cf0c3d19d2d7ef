"""Finding the forms and filling them: every GET page as each role, every
<form method=post> on it, payloads in every text field.

A form is known by where it posts and the text fields it has (its family),
so the same form on many pages (a module row, an application) is one family,
filled once, by the first role that finds it. Its values are spread over the
form's instances (one per account for one's own pages, one per object
otherwise) so that each lands on an object of its own.
"""

import re
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlsplit

from werkzeug.datastructures import MultiDict

from tests.security.xss.forms import fill
from tests.security.xss.markup import read_page
from tests.security.xss.pages import build

ROLES = ("anonymous", "engineer", "guardian", "reviewer", "program_manager", "admin")
SKIPPED_ENDPOINTS = {"static", "bootstrap.static"}
# A field with no maxlength starts here, and halves while it is refused.
UNBOUNDED = 1000
SMALLEST = 125
# Pages about one object: how many objects are looked at for forms.
DISCOVERY_DEPTH = 2
# The first values of a family are followed to the page they land on.
FOLLOWED = 3
REFUSED_FLASH = re.compile(r"alert alert-(danger|warning) alert-dismissible")


def _is_html(response):
    return response.status_code == 200 and response.mimetype == "text/html"


@dataclass
class Submission:
    role: str
    family: str
    action: str
    tags: dict  # field label -> tag
    status: int
    accepted: bool
    probe: str = ""


@dataclass
class Family:
    endpoint: str
    fields: tuple
    rule: object
    form: object

    @property
    def name(self):
        return f"{self.endpoint}({', '.join(self.fields)})"


@dataclass
class CrawlLog:
    submissions: list = field(default_factory=list)
    server_errors: list = field(default_factory=list)


class Crawler:
    """Signs in as each role, finds the forms on its pages and fills them."""

    def __init__(self, app, packer, seeded, sign_in, inspector):
        self.app, self.packer, self.seeded = app, packer, seeded
        self.inspector = inspector
        self.sign_in = sign_in
        self.adapter = app.url_map.bind("localhost")
        self.rules = sorted(
            (
                r
                for r in app.url_map.iter_rules()
                if "GET" in r.methods and r.endpoint not in SKIPPED_ENDPOINTS
            ),
            key=lambda r: (r.endpoint, r.rule),
        )
        self.log = CrawlLog()
        self.done = set()
        self.caps = {}
        self._clients = {}
        self._pages = set()  # (role, endpoint) of the pages the role can see
        self._emails = iter(seeded.emails)
        self._new_addresses = count(1)

    # Pages

    def client_for(self, role, index=0):
        """A client signed in as the role's ``index``-th account (a new one
        each time for anonymous visitors)."""
        if role == "anonymous":
            return self.app.test_client()
        account = self.seeded.crawlers[role][index]
        if account.id not in self._clients:
            self._clients[account.id] = self.sign_in(account)
        return self._clients[account.id]

    def url(self, rule, index):
        return build(rule, self.seeded.params, index)

    def get(self, client, url, where):
        """(response, the forms on the page) for a GET; the page is inspected."""
        response = client.get(url)
        return response, self._check(response, where, url)

    def _check(self, response, where, url):
        if response.status_code >= 500:
            self.log.server_errors.append(f"{where}: {url} -> {response.status_code}")
        if response.mimetype != "text/html":
            return []
        forms, findings = read_page(url, response.text)
        self.inspector.inspect(f"{where} {url}", response.text, findings)
        return forms if response.status_code == 200 else []

    # Forms

    def families_on(self, rule, forms):
        found = []
        for form in forms:
            if form.method != "post" or not form.fuzzed_fields:
                continue
            endpoint = self.adapter.match(urlsplit(form.action).path, method="POST")[0]
            names = tuple(f.name for f in form.fuzzed_fields)
            found.append(Family(endpoint, names, rule, form))
        return found

    def discover(self, role, again=False):
        """The form families on the role's pages, in page order. Looking
        ``again``, only the role's own pages (a form appears there once
        another was sent: a withdraw button after applying)."""
        families, client = {}, self.client_for(role)
        for rule in self.rules:
            if again and (rule.arguments or (role, rule.endpoint) not in self._pages):
                continue
            for index in range(DISCOVERY_DEPTH if rule.arguments else 1):
                url = self.url(rule, index)
                response, forms = self.get(client, url, role) if url else (None, [])
                if not (response and _is_html(response)):
                    continue
                self._pages.add((role, rule.endpoint))
                for family in self.families_on(rule, forms):
                    key = (family.endpoint, family.fields)
                    if key not in self.done and key not in families:
                        families[key] = family
        return list(families.values())

    def instances(self, role, family):
        """(client, form) for each instance of the family, in order."""
        if family.rule.arguments:
            pages = ((0, self.url(family.rule, n)) for n in count())
        else:
            # Forms that ask first (closing an account) spare the account
            # that looks for forms.
            first = 1 if family.form.confirm and role != "anonymous" else 0
            accounts = range(first, len(self.seeded.crawlers[role]))
            pages = ((n, family.form.page) for n in accounts)
        for account, url in pages:
            if url is None:
                return
            client = self.client_for(role, account)
            _, forms = self.get(client, url, role)
            for other in self.families_on(family.rule, forms):
                if (other.endpoint, other.fields) == (family.endpoint, family.fields):
                    yield client, other.form

    def needed(self, family):
        return max(
            self.packer.needed(self._cap(family, f), f.multiline, f.is_name)
            for f in family.form.fuzzed_fields
        )

    def _cap(self, family, f):
        return f.maxlength or self.caps.get((family.name, f.name), UNBOUNDED)

    def run(self):
        """Each role in turn; forms that ask for confirmation (closing,
        withdrawing) go last, and a second look finds forms that appear once
        others were sent (a withdraw button after applying)."""
        for role in ROLES:
            confirmed = []
            for again in (False, True):
                for family in self.discover(role, again):
                    self.done.add((family.endpoint, family.fields))
                    if family.form.confirm:
                        confirmed.append(family)
                    else:
                        self.fill_family(role, family)
            for family in confirmed:
                self.fill_family(role, family)
        return self.log

    def fill_family(self, role, family):
        """Send the family's values, each to an instance of its own while
        there are instances (a form that creates can take them all)."""
        instances, used, index = self.instances(role, family), [], 0
        while index < self.needed(family):  # grows when a field is shortened
            if len(used) == index:
                used += [i for i in [next(instances, None)] if i is not None]
            if not used:
                return
            client, form = used[index % len(used)]
            if role == "anonymous":
                client = self.client_for(role)
                form = self._fresh_form(client, family)
            self._submit_with_room(role, family, client, form, index)
            index += 1
        if any(f.kind == "email" for f in family.form.fields):
            # On an instance not used yet: one already sent may refuse anything.
            self._probe_emails(role, family, *(next(instances, None) or used[0]))

    def _fresh_form(self, client, family):
        _, forms = self.get(client, family.form.page, "anonymous")
        return next(
            f.form
            for f in self.families_on(family.rule, forms)
            if (f.endpoint, f.fields) == (family.endpoint, family.fields)
        )

    def _submit_with_room(self, role, family, client, form, index):
        """Submit; a field without maxlength is shortened while it is refused."""
        while True:
            submission = self.submit(role, family, client, form, index)
            unbounded = [f for f in form.fuzzed_fields if not f.maxlength]
            if submission.accepted or not unbounded:
                return submission
            caps = {f.name: self._cap(family, f) for f in unbounded}
            if min(caps.values()) <= SMALLEST:
                return submission
            for name, cap in caps.items():
                self.caps[(family.name, name)] = cap // 2

    def _email(self, form):
        if form.has_password:  # a new account needs an address nobody uses
            return f"newcomer{next(self._new_addresses)}@example.com"
        return next(self._emails)

    def submit(self, role, family, client, form, index, email=None):
        tags = {}

        def text_for(f):
            label = f"{family.endpoint}.{f.name}"
            cap = self._cap(family, f)
            value = self.packer.value(label, cap, index, f.multiline, f.is_name)
            tags[label] = int(value[1 : value.index("~", 1)])
            return value

        data = fill(form, text_for, email or (lambda: self._email(form)))
        response = client.post(form.action, data=MultiDict(data))
        accepted = 300 <= response.status_code < 400
        if accepted and index < FOLLOWED:
            landing, _ = self.get(client, response.headers["Location"], role)
            accepted = not REFUSED_FLASH.search(landing.text)
        elif not accepted:
            self._check(response, f"{role} POST", form.action)
        submission = Submission(
            role, family.name, form.action, tags, response.status_code, accepted
        )
        self.log.submissions.append(submission)
        return submission

    def _probe_emails(self, role, family, client, form):
        """Payload-shaped addresses in every email field: refused, or kept and
        shown as harmless text like any other."""
        for payload in self.packer.payloads:
            if payload.group.startswith("Email"):
                if role == "anonymous":
                    client = self.client_for(role)
                    form = self._fresh_form(client, family)
                submission = self.submit(
                    role, family, client, form, 0, email=lambda p=payload: p.text
                )
                submission.probe = payload.text
