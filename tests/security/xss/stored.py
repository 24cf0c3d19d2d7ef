"""What the database kept: where each tagged value ended up, and whether the
HTML the portal stores (every ``*_html`` column or JSON key) is clean."""

from collections import defaultdict

from sqlalchemy import JSON, String, Text, cast, select

from portal.extensions import db
from portal.mail.models import OutboxMessage
from tests.security.xss.corpus import tags_in
from tests.security.xss.markup import email_template_styles, findings_in


def _text_columns():
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                yield table, column


def stored_tags():
    """tag -> the "table.column" names holding it."""
    found = defaultdict(set)
    for table, column in _text_columns():
        text = cast(column, Text)
        for value in db.session.scalars(select(text).where(text.like("%~%~%"))):
            for tag in tags_in(value):
                found[tag].add(f"{table.name}.{column.name}")
    return found


def kept_as_addresses(texts):
    """Which of ``texts`` an email address column holds."""
    kept = set()
    for _, column in _text_columns():
        if not column.name.endswith(("email", "address")):
            continue
        text = cast(column, Text)
        for candidate in set(texts) - kept:
            query = select(text).where(text.contains(candidate, autoescape=True))
            if db.session.scalars(query.limit(1)).first() is not None:
                kept.add(candidate)
    return kept


def _html_in_json(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_html") and isinstance(item, str):
                yield f"{path}.{key}", item
            else:
                yield from _html_in_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _html_in_json(item, f"{path}[{index}]")


def stored_html():
    """(where, html) for every stored piece of HTML."""
    for table, column in _text_columns():
        is_html = column.name.endswith("_html")
        if not (is_html or isinstance(column.type, JSON)):
            continue
        key = list(table.primary_key.columns)[0]
        for row_id, value in db.session.execute(select(key, column)):
            where = f"{table.name}.{column.name} #{row_id}"
            if is_html and value:
                yield where, value
            elif isinstance(value, dict | list):
                yield from ((where + path, h) for path, h in _html_in_json(value))


def stored_html_findings():
    """Everything a payload could have left in stored HTML; the emails may keep
    the inline styles their own templates write."""
    styles = email_template_styles()
    findings, documents = [], 0
    for where, html in stored_html():
        documents += 1
        allowed = styles if where.startswith(OutboxMessage.__tablename__) else ()
        findings += [
            f"{where}: {f}"
            for f in findings_in(html, page=False, allowed_styles=allowed)
        ]
    return findings, documents
