"""Which pages Chromium renders: every GET route as each role, the pages of
every list that show more payloads, every search form with the corpus in it,
and, for a route about one object, the objects whose pages show the most
payloads. Every page fetched on the way has its HTML inspected."""

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from sqlalchemy import String, Text, select

from portal.accounts.models import Org, Team, User
from portal.enrollment.models import Cohort, Enrollment
from portal.extensions import db
from portal.reviews.models import Review
from portal.training.models import Certificate, Module, QuizAttempt
from tests.security.xss.browser import MODES
from tests.security.xss.forms import fill
from tests.security.xss.markup import read_page

MAX_LIST_PAGES = 40
# Payload text that lost its tag on the way (a title cut short).
UNTAGGED = re.compile(r"__xss\(|13337")
# Objects whose pages are fetched and inspected per route, richest first, and
# how many of them Chromium renders besides the first.
CANDIDATES = 12
EXTRA_RENDERED = 2
OBJECTS = {
    "user_id": (User, User.id),
    "org_id": (Org, Org.id),
    "team_id": (Team, Team.id),
    "cohort_id": (Cohort, Cohort.id),
    "enrollment_id": (Enrollment, Enrollment.id),
    "code": (Certificate, Certificate.verification_code),
    "slug": (Module, Module.slug),
    "attempt_id": (QuizAttempt, QuizAttempt.id),
    "review_id": (Review, Review.id),
}


def _richest_first(model, key, packer):
    """The model's keys, those whose own text carries the most payloads first."""
    columns = [c for c in model.__table__.columns if isinstance(c.type, String | Text)]
    rows = db.session.execute(select(key, *columns).order_by(model.id)).all()
    carried = {
        row[0]: packer.payloads_in(" ".join(str(v) for v in row[1:] if v))
        for row in rows
    }
    ordered, shown = [], set()
    while carried:
        best = max(carried, key=lambda k: len(carried[k] - shown))
        if not carried[best] - shown:
            break
        shown |= carried.pop(best)
        ordered.append(best)
    return ordered + [row[0] for row in rows if row[0] in carried]


def render_params(seeded, packer):
    """Every real object for each URL parameter, those showing payloads first."""
    params = {
        name: _richest_first(model, key, packer)
        for name, (model, key) in OBJECTS.items()
    }
    return {**params, **{k: v for k, v in seeded.params.items() if ":" in k}}


def pool(params, rule, argument):
    return params.get(f"{rule.endpoint}:{argument}", params.get(argument, []))


def build(rule, params, index):
    """The rule's path with the ``index``-th object of each parameter, or None."""
    values = {}
    for argument in rule.arguments:
        objects = pool(params, rule, argument)
        if index >= len(objects):
            return None
        values[argument] = objects[index]
    return rule.build(values, append_unknown=False)[1]


def _cover(candidates, shown, limit=None):
    """The candidates (path, payloads) that show payloads not in ``shown``,
    most new payloads first."""
    chosen, shown, candidates = [], set(shown), list(candidates)
    while candidates and (limit is None or len(chosen) < limit):
        best = max(candidates, key=lambda c: len(c[1] - shown))
        if not best[1] - shown:
            break
        shown |= best[1]
        chosen.append(best[0])
        candidates.remove(best)
    return chosen


class PagePlan:
    """Fetches candidate pages with the test client (their HTML is inspected)
    and keeps the ones Chromium must render, with the modes to render them in:
    both when the page shows a payload, else with the policy only."""

    def __init__(self, rules, params, inspector, packer):
        self.rules, self.params = rules, params
        self.inspector, self.packer = inspector, packer
        self.visits = {}  # (role, path) -> modes
        self.fetched = 0
        self.server_errors = []
        self._searched = set()
        self._shown = {}  # (role, path) -> payloads, of each route's first page
        self._status = {}
        self._forms = {}

    def fetch(self, client, role, path, statuses=(200,)):
        """The page's HTML when it answers one of ``statuses`` with HTML."""
        response = client.get(path)
        self.fetched += 1
        self._status[(role, path)] = response.status_code
        if response.status_code >= 500:
            self.server_errors.append(f"{role} GET {path} -> {response.status_code}")
        if response.status_code not in statuses or response.mimetype != "text/html":
            return None
        self._forms[path], findings = read_page(path, response.text)
        self.inspector.inspect(f"{role} GET {path}", response.text, findings)
        return response.text

    def _visit(self, role, path, shows_payloads=True):
        modes = MODES if shows_payloads else MODES[:1]
        if len(modes) > len(self.visits.get((role, path), ((), 0))[0]):
            self.visits[(role, path)] = (modes, self._status[(role, path)])

    def every_route(self, role, client):
        """Each GET route once for the role, its lists' other pages that show
        more payloads, and its search forms filled with every payload."""
        for rule in self.rules:
            path = build(rule, self.params, 0)
            html = path and self.fetch(client, role, path)
            if html:
                payloads = self.payloads(html)
                self._shown[(role, path)] = payloads
                self._visit(role, path, bool(payloads) or bool(UNTAGGED.search(html)))
                self._list_pages(role, client, path, html, payloads)
                self._searches(role, client, path)

    def _list_pages(self, role, client, path, html, shown):
        base, seen, pending, candidates = urlsplit(path).path, {path}, [html], []
        while pending and len(seen) < MAX_LIST_PAGES:
            for link in links_in(path, pending.pop()):
                parts = urlsplit(link)
                is_page = parts.path == base and "page" in dict(parse_qsl(parts.query))
                if is_page and link not in seen:
                    seen.add(link)
                    page = self.fetch(client, role, link)
                    if page:
                        candidates.append((link, self.payloads(page)))
                        pending.append(page)
        for link in _cover(candidates, shown):
            self._visit(role, link)

    def _searches(self, role, client, path):
        for form in self._forms[path]:
            action = urlsplit(form.action).path
            is_search = form.method == "get" and form.fuzzed_fields
            if is_search and action not in self._searched:
                self._searched.add(action)
                self._search(role, client, form, action)

    def _search(self, role, client, form, action):
        """The search with every payload at once (too long: refused, and
        shown back), then with as much as each field takes."""
        label = f"search {action}"
        values = [
            lambda f: self.packer.whole(f"{label}.{f.name}"),
            lambda f: self.packer.value(f"{label}.{f.name}", f.maxlength or 100, 0),
        ]
        for text_for in values:
            data = fill(form, text_for, lambda: "nobody@example.com")
            search = f"{action}?{urlencode(data)}"
            if self.fetch(client, role, search, statuses=(200, 400)):
                self._visit(role, search)

    def objects(self, role, client):
        """For each route about one object: the pages of the objects carrying
        most payloads are inspected, and the few showing most payloads the
        route has not shown yet are rendered."""
        for rule in self.rules:
            size = min(
                (len(pool(self.params, rule, a)) for a in rule.arguments), default=0
            )
            first = build(rule, self.params, 0) if size else None
            candidates = []
            for index in range(1, min(size, CANDIDATES)):
                path = build(rule, self.params, index)
                html = self.fetch(client, role, path)
                if html:
                    candidates.append((path, self.payloads(html)))
            shown = self._shown.get((role, first), set())
            for path in _cover(candidates, shown, EXTRA_RENDERED):
                self._visit(role, path)

    def payloads(self, html):
        return self.packer.payloads_in(html)


def links_in(page, html):
    """The links of a page, as paths on this site."""
    links = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href")
            if tag == "a" and href:
                parts = urlsplit(urljoin(page, href))
                links.append(parts._replace(scheme="", netloc="").geturl())

    parser = Links()
    parser.feed(html)
    parser.close()
    return links
