"""Every route, fed random and hostile input as every kind of visitor.

For each rule in ``app.url_map`` Hypothesis draws requests: path parameters
(a real object's id or slug, or a hostile value), query parameters and form
fields (the names every form in the portal declares, url_for's keywords, and
random ones; huge and negative numbers, NUL and control characters, invalid
UTF-8, long text, emoji and right-to-left marks, dates far away; repeated and
missing), files, and bodies of the wrong content type. Whatever arrives, the
portal answers below 500, and a write it refuses (4xx) changes nothing in the
database.

CSRF is off in the test configuration, so the forms' own checks are what is
tested. ``PORTAL_FUZZ_EXAMPLES`` sets the examples per route (a handful in
``make test``; ``make fuzz`` runs many more).
"""

import hashlib
import io
import os
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from portal import create_app
from portal.accounts.models import Role, User
from portal.auth.sessions import start_session
from portal.database import utcnow
from portal.extensions import db as _db
from portal.extensions import limiter
from tests.helpers import test_config as portal_test_config

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "10"))
ACTORS = ("anonymous", "engineer", "guardian", "program_manager", "admin")
ACTOR_ROLES = {
    "engineer": [],
    "guardian": [Role.GUARDIAN.value],
    "program_manager": [Role.PROGRAM_MANAGER.value],
    "admin": [Role.ADMIN.value],
}
SKIPPED = {"static", "bootstrap.static"}
# Names url_for treats as its own keywords: a page that passed the request's
# arguments whole into url_for would break on them.
URL_FOR_KEYWORDS = ["endpoint", "_scheme", "_method", "_external", "_anchor", "values"]
COMMON_ARGUMENTS = ["page", "next", "q", "sort", "format", "id", "token"]

HOSTILE_TEXT = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e309",
    "NaN",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999",
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[31m\x7f",
    "\r\nSet-Cookie: x=1",
    "\u202e\u2066evil\u2069",
    "\ufeff",
    "🛡️" * 40,
    "𝕏" * 10,
    "ÿ" * 30,
    "a" * 3000,
    "<script>alert(1)</script>",
    "{{7*7}}{% raw %}",
    "' OR 1=1 --",
    "%s%n%x",
    "../../../etc/passwd",
    "javascript:alert(1)",
    "//evil.example/",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "y",
    "on",
    "true",
    "null",
    "[]",
    "admin",
    "guardian",
    "program_manager",
    "uncovered",
    "name",
    "failed",
]
HOSTILE_INTEGERS = [0, 1, 2, 10**6, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]


def _form_field_names():
    """Every field name any form in the portal declares (shared by many pages)."""
    names, pending = set(), [FlaskForm]
    while pending:
        form_class = pending.pop()
        pending.extend(form_class.__subclasses__())
        names.update(
            name
            for name, value in vars(form_class).items()
            if hasattr(value, "field_class")
        )
    return sorted(names)


def _rules():
    # create_app only lists routes here; it does not connect to a database.
    app = create_app(portal_test_config("sqlite://"))
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED]
    return sorted(rules, key=lambda r: (r.endpoint, r.rule)), _form_field_names()


RULES, FIELD_NAMES = _rules()
NAMES = st.one_of(
    st.sampled_from(FIELD_NAMES + URL_FOR_KEYWORDS + COMMON_ARGUMENTS),
    st.text(min_size=1, max_size=20),
)
TEXT = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(HOSTILE_INTEGERS).map(str),
    st.integers().map(str),
    st.text(max_size=40),
    st.text(min_size=200, max_size=2500),
)
PAIRS = st.lists(st.tuples(NAMES, TEXT), max_size=8)
# A raw query string: invalid UTF-8, stray percent signs, repeats.
RAW_QUERY = st.sampled_from(
    ["page=%ff%fe", "q=%c3%28", "page=1&page=2&page=x", "%", "a=%zz", "=&&=", "q=\xff"]
)
BODY_TYPES = st.sampled_from(
    [
        "application/json",
        "text/plain",
        "multipart/form-data",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=ebcdic",
        "application/xml",
    ]
)


@pytest.fixture
def actors(make_user, make_team):
    team = make_team(name="Fuzzers")
    return {
        name: make_user(email=f"fuzz-{name}@example.com", roles=roles, team=team)
        for name, roles in ACTOR_ROLES.items()
    }


def _table_fingerprints():
    """A digest of every table's rows, to see whether anything changed."""
    _db.session.commit()
    digests = {}
    for table in _db.metadata.sorted_tables:
        rows = _db.session.execute(select(table).order_by(*table.primary_key))
        digests[table.name] = hashlib.sha256(repr(rows.all()).encode()).hexdigest()
    _db.session.commit()
    return digests


def _client_for(app, user):
    """A new browser, signed in as ``user`` whatever earlier examples did to
    them (closed their account, signed them out everywhere)."""
    client = app.test_client()
    if user is None:
        return client
    _db.session.execute(update(User).where(User.id == user.id).values(active=True))
    person = _db.session.get(User, user.id)
    start_session(
        person,
        remember=False,
        user_agent="fuzz",
        address="127.0.0.1",
        now=utcnow(),
        config=app.config,
    )
    token = person.session_token
    _db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def _path_values(data, rule, objects):
    """Each path parameter: mostly the real object, sometimes a hostile value."""
    values = {}
    for argument in rule.arguments:
        real = objects.get(f"{rule.endpoint}:{argument}", objects.get(argument))
        if rule._converters[argument].__class__.__name__ == "IdConverter":
            hostile = st.sampled_from(HOSTILE_INTEGERS)
        else:
            hostile = TEXT.filter(bool)
        choices = [st.just(real), hostile] if real is not None else [hostile]
        values[argument] = data.draw(st.one_of(*choices), label=argument)
    return values


def _query_string(data):
    if data.draw(st.booleans(), label="raw query"):
        return data.draw(RAW_QUERY)
    pairs = data.draw(PAIRS, label="query")
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)


def _form_body(data):
    """Form fields (files among them), or a body of some other content type."""
    if data.draw(st.integers(0, 5), label="body kind") == 0:
        raw = data.draw(st.binary(max_size=300), label="raw body")
        return {"data": raw, "content_type": data.draw(BODY_TYPES)}
    form = {}
    for name, value in data.draw(PAIRS, label="form"):
        form.setdefault(name, []).append(value)
    if data.draw(st.integers(0, 4), label="with a file") == 0:
        name = data.draw(st.sampled_from(FIELD_NAMES))
        form[name] = (io.BytesIO(b"=cmd|' /C calc'!A0\n"), "people.csv")
    return {"data": form}


def _method(data, rule):
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    return data.draw(st.sampled_from(methods), label="method")


def _request(client, data, rule, objects, method):
    values = _path_values(data, rule, objects)
    path = rule.build(values, append_unknown=False)[1]
    query = _query_string(data)
    body = _form_body(data) if method == "POST" else {}
    response = client.open(path, method=method, query_string=query, **body)
    return f"{method} {path}?{query!r} {body!r:.300}", response


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint}:{r.rule}" for r in RULES])
def test_hostile_input_never_breaks_a_page(app, objects, actors, rule):
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not os.environ.get("PORTAL_FUZZ_EXAMPLES"),
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(actor=st.sampled_from(ACTORS), data=st.data())
    def fuzz(actor, data):
        client = _client_for(app, actors.get(actor))
        limiter.reset()
        method = _method(data, rule)
        before = _table_fingerprints() if method == "POST" else None

        where, response = _request(client, data, rule, objects, method)

        assert response.status_code < 500, f"{actor} {where}: {response.status_code}"
        if method == "POST" and 400 <= response.status_code < 500:
            changed = [
                name
                for name, digest in _table_fingerprints().items()
                if before[name] != digest
            ]
            assert not changed, f"{actor} {where}: refused, yet changed {changed}"

    fuzz()
