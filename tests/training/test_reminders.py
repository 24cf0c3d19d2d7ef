"""Due-date reminders: three days before and once overdue, each sent once."""

from datetime import timedelta

from sqlalchemy import select

from portal.jobs.models import SentReminder
from portal.jobs.runner import run_job
from portal.notifications.models import Notification
from portal.scheduler import JOBS_BY_NAME
from portal.training.jobs import send_training_reminders
from portal.training.models import ModuleDueDate
from tests.training.conftest import NOW, take_quiz

JOB = JOBS_BY_NAME["training_reminders"]
TODAY = NOW.date()  # 4 Mar 2030


def due(db, user, module, days):
    db.session.add(
        ModuleDueDate(
            user_id=user.id, module_id=module.id, due_on=TODAY + timedelta(days=days)
        )
    )
    db.session.commit()


def reminders(db):
    return sorted(
        db.session.execute(
            select(
                Notification.recipient_id,
                Notification.kind,
                Notification.title,
                Notification.link,
            )
        ).all()
    )


def test_reminders_go_out_three_days_before_and_when_overdue(
    db, make_user, make_module
):
    module = make_module("due", title="Due module")
    other = make_module("other", title="Other module")
    soon, late, far, done = (make_user(name=n) for n in ("Soon", "Late", "Far", "Done"))
    gone = make_user(name="Gone", active=False)
    due(db, soon, module, 3)
    due(db, late, module, -1)
    due(db, far, module, 4)
    due(db, done, module, 1)
    due(db, done, other, 2)
    due(db, gone, module, 0)
    take_quiz(done, module, NOW - timedelta(days=1))  # passed: no reminder for it

    summary = send_training_reminders(NOW)
    db.session.commit()

    assert summary == "3 training reminder(s) and 0 renewal reminder(s) sent"
    assert reminders(db) == sorted(
        [
            (
                soon.id,
                "training",
                "Training due soon: pass “Due module” by 07 Mar 2030.",
                "/training/modules/due",
            ),
            (
                late.id,
                "training",
                "Training overdue: “Due module” was due on 03 Mar 2030.",
                "/training/modules/due",
            ),
            (
                done.id,
                "training",
                "Training due soon: pass “Other module” by 06 Mar 2030.",
                "/training/modules/other",
            ),
        ]
    )


def test_running_twice_sends_nothing_more(db, make_user, make_module):
    module = make_module("due", title="Due module")
    person = make_user()
    due(db, person, module, 2)
    send_training_reminders(NOW)
    db.session.commit()
    before = reminders(db)

    assert (
        send_training_reminders(NOW)
        == "0 training reminder(s) and 0 renewal reminder(s) sent"
    )
    db.session.commit()
    assert send_training_reminders(NOW + timedelta(hours=5)) == (
        "0 training reminder(s) and 0 renewal reminder(s) sent"
    )
    db.session.commit()

    assert reminders(db) == before and len(before) == 1


def test_the_scheduled_job_sends_each_stage_once_over_the_days(
    db, make_user, make_module
):
    module = make_module("due", title="Due module", required=False)
    person, passer = make_user(), make_user()
    due(db, person, module, 5)
    due(db, passer, module, 5)

    day = lambda n: NOW + timedelta(days=n)  # noqa: E731
    assert (
        run_job(JOB, day(0)).summary
        == "0 training reminder(s) and 0 renewal reminder(s) sent"
    )  # 5 days out
    first = run_job(JOB, day(2))  # 3 days before
    assert first.summary == "2 training reminder(s) and 0 renewal reminder(s) sent"
    assert run_job(JOB, day(2) + timedelta(hours=1)) is None, "the day is done"
    take_quiz(passer, module, day(3))
    assert (
        run_job(JOB, day(3)).summary
        == "0 training reminder(s) and 0 renewal reminder(s) sent"
    )  # still soon
    assert (
        run_job(JOB, day(5)).summary
        == "0 training reminder(s) and 0 renewal reminder(s) sent"
    )  # due today
    assert (
        run_job(JOB, day(6)).summary
        == "1 training reminder(s) and 0 renewal reminder(s) sent"
    )  # overdue
    assert (
        run_job(JOB, day(7)).summary
        == "0 training reminder(s) and 0 renewal reminder(s) sent"
    )
    assert run_job(JOB, day(7)) is None

    titles = [
        title for recipient, _, title, _ in reminders(db) if recipient == person.id
    ]
    assert sorted(titles) == [
        "Training due soon: pass “Due module” by 09 Mar 2030.",
        "Training overdue: “Due module” was due on 09 Mar 2030.",
    ]
    passer_titles = [t for r, _, t, _ in reminders(db) if r == passer.id]
    assert passer_titles == ["Training due soon: pass “Due module” by 09 Mar 2030."]
    assert len(db.session.scalars(select(SentReminder)).all()) == 3


def test_a_direct_run_and_the_job_share_the_sent_log(db, make_user, make_module):
    module = make_module("due", title="Due module")
    person = make_user()
    due(db, person, module, -2)
    send_training_reminders(NOW)
    db.session.commit()

    run = run_job(JOB, NOW)

    assert run.summary == "0 training reminder(s) and 0 renewal reminder(s) sent"
    assert len(reminders(db)) == 1


def test_a_new_due_date_is_a_new_reminder(db, make_user, make_module):
    module = make_module("due", title="Due module")
    person = make_user()
    due(db, person, module, 1)
    send_training_reminders(NOW)
    row = db.session.scalar(select(ModuleDueDate))
    row.due_on = TODAY + timedelta(days=2)  # a program manager moved it
    db.session.commit()

    assert (
        send_training_reminders(NOW)
        == "1 training reminder(s) and 0 renewal reminder(s) sent"
    )
