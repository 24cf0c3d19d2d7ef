"""The weekly digest: who gets one, what is in it, and once per ISO week."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.jobs.models import JobRun, RunStatus
from portal.jobs.runner import run_job
from portal.mail.models import OutboxMessage
from portal.notifications.jobs import iso_week, send_weekly_digest
from portal.notifications.services import mark_read, notify
from portal.scheduler import JOBS_BY_NAME

MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # ISO week 2026-W48


def digests(db):
    """{address: (subject, text body, html body)} for every digest queued."""
    return {
        m.to_address: (m.subject, m.body_text, m.body_html)
        for m in db.session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.subject.startswith("Your Guardians")
            )
        )
    }


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48"),
        (datetime(2026, 11, 29, 23, 59, tzinfo=UTC), "2026-W48"),
        (datetime(2026, 11, 30, 0, 0, tzinfo=UTC), "2026-W49"),
        (datetime(2027, 1, 1, 8, 0, tzinfo=UTC), "2026-W53"),
        (datetime(2024, 12, 30, 8, 0, tzinfo=UTC), "2025-W01"),
        (datetime(2026, 1, 5, 8, 0, tzinfo=UTC), "2026-W02"),
    ],
)
def test_the_digest_period_is_the_iso_week(moment, week):
    assert iso_week(moment) == week


def test_only_people_with_unread_news_this_week_get_a_digest(db, make_user):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    carol, dave = (
        make_user(name="Carol (nothing new)"),
        make_user(name="Dave (deactivated)"),
    )
    erin, frank = (
        make_user(name="Erin (old news)"),
        make_user(name="Frank (read it all)"),
    )
    notify(
        alice,
        "enrollment",
        "Sam replied to “Secrets in CI”",
        now=MONDAY - timedelta(days=1),
    )
    for n in range(3):
        notify(
            alice,
            "enrollment",
            "New reply",
            now=MONDAY - timedelta(days=2, minutes=n),
            group_key="thread:9",
            title_many="{count} new replies in “Fuzzing”",
        )
    notify(
        alice,
        "roles",
        "You now hold the Mentor role.",
        now=MONDAY - timedelta(days=7) + timedelta(minutes=1),
    )
    notify(
        bob,
        "training",
        "Threat modelling is due Friday",
        now=MONDAY - timedelta(days=4),
    )
    notify(
        dave,
        "enrollment",
        "A reply Dave will never read",
        now=MONDAY - timedelta(days=1),
    )
    dave.active = False
    notify(
        erin,
        "enrollment",
        "Last month's reply",
        now=MONDAY - timedelta(days=7, minutes=1),
    )
    read = notify(frank, "enrollment", "Already read", now=MONDAY - timedelta(days=1))
    db.session.flush()
    mark_read(frank, read.id, MONDAY - timedelta(hours=1))
    db.session.commit()

    summary = send_weekly_digest(MONDAY)
    db.session.commit()

    assert summary == "2 digest(s) queued for 2026-W48"
    sent = digests(db)
    assert set(sent) == {alice.email, bob.email}
    subject, text, html = sent[alice.email]
    assert subject == "Your Guardians Portal week: 3 updates"
    for title in [
        "Sam replied to “Secrets in CI”",
        "3 new replies in “Fuzzing”",
        "You now hold the Mentor role.",
    ]:
        assert title in text
    assert "3 new replies in “Fuzzing”" in html
    assert "Threat modelling is due Friday" not in text
    subject, text, _ = sent[bob.email]
    assert subject == "Your Guardians Portal week: 1 update"
    assert "Threat modelling is due Friday" in text
    assert "Sam replied" not in text
    for name in (carol, dave, erin, frank):
        assert name.email not in sent


def test_titles_are_escaped_in_the_html_digest(db, make_user):
    person = make_user()
    notify(
        person,
        "enrollment",
        "Reply to <script>alert(1)</script>",
        now=MONDAY - timedelta(days=1),
    )
    db.session.commit()

    send_weekly_digest(MONDAY)

    [(_, text, html)] = digests(db).values()
    assert "Reply to <script>alert(1)</script>" in text
    assert "<script>" not in html
    assert "Reply to &lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_digest_carries_the_persons_own_preferences_link(db, make_user):
    people = [make_user() for _ in range(3)]
    for person in people:
        notify(person, "enrollment", "A reply", now=MONDAY - timedelta(days=1))
    db.session.commit()

    send_weekly_digest(MONDAY)

    tokens = set()
    for _, text, html in digests(db).values():
        [in_text] = re.findall(
            r"http://127\.0\.0\.1:5000/notifications/email/(\S+)", text
        )
        assert f'/notifications/email/{in_text}"' in html
        tokens.add(in_text)
    assert len(tokens) == len(people)


def test_two_runs_in_one_week_send_one_digest_and_the_next_week_another(db, make_user):
    person = make_user()
    notify(person, "enrollment", "Monday's news", now=MONDAY - timedelta(days=1))
    db.session.commit()

    send_weekly_digest(MONDAY)
    notify(person, "enrollment", "Wednesday's news", now=MONDAY + timedelta(days=2))
    send_weekly_digest(MONDAY + timedelta(days=3))
    db.session.commit()
    assert len(digests(db)) == 1

    notify(person, "enrollment", "Next week's news", now=MONDAY + timedelta(days=5))
    assert (
        send_weekly_digest(MONDAY + timedelta(days=7))
        == "1 digest(s) queued for 2026-W49"
    )
    db.session.commit()
    texts = [
        m.body_text
        for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]
    assert len(texts) == 2
    assert "Monday's news" in texts[0] and "Next week's news" not in texts[0]
    assert "Next week's news" in texts[1] and "Wednesday's news" in texts[1]


def test_the_scheduled_digest_runs_once_per_iso_week(db, make_user):
    person = make_user()
    notify(person, "enrollment", "Monday's news", now=MONDAY - timedelta(days=1))
    db.session.commit()
    digest = JOBS_BY_NAME["weekly_digest"]

    first = run_job(digest, MONDAY)
    same_week = run_job(digest, MONDAY + timedelta(days=6, hours=15))
    notify(person, "enrollment", "Next week's news", now=MONDAY + timedelta(days=6))
    db.session.commit()
    next_week = run_job(digest, MONDAY + timedelta(days=7))

    assert first.summary == "1 digest(s) queued for 2026-W48"
    assert same_week is None
    assert next_week.summary == "1 digest(s) queued for 2026-W49"
    runs = db.session.execute(
        select(JobRun.period, JobRun.status).order_by(JobRun.id)
    ).all()
    assert runs == [
        ("2026-W48", RunStatus.SUCCEEDED),
        ("2026-W49", RunStatus.SUCCEEDED),
    ]
    assert (
        db.session.scalars(select(OutboxMessage.to_address)).all() == [person.email] * 2
    )
