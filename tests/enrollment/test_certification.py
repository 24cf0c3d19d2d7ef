"""Training certifies a person: their enrollment moves on and they guard their team."""

import re
from datetime import timedelta

from portal.accounts.models import Role, User
from portal.enrollment import queries, services
from portal.enrollment.models import Enrollment
from portal.enrollment.models import EnrollmentStatus as S
from portal.training.certificates import certify_if_complete, revoke_certificate
from portal.training.models import ModuleProgress
from portal.training.queries import required_modules
from portal.training.services import start_attempt, submit_attempt
from portal.training.standing import TrainingPolicy
from tests.enrollment.conftest import NOW, fresh, history, pass_required_training
from tests.training.conftest import correct_answers


def _guardians_section(page):
    match = re.search(r"Guardians of this team</h2>(.*?)</div>", page, re.S)
    assert match, "the team page has no Guardians section"
    return match.group(1)


def test_certification_makes_an_in_training_person_an_active_guardian(
    db,
    make_required_modules,
    make_org,
    make_team,
    make_applicant,
    apply_for,
    make_cohort,
    program_manager,
    signed_in,
):
    make_required_modules(2)
    org = make_org("Payments")
    guarded = make_team(name="Checkout", org=org)
    person = make_applicant(name="Gail Guardian", team=make_team(org=org))
    cohort = make_cohort(start_date=NOW.date())
    enrollment = apply_for(person, team=guarded)
    services.place_in_cohort(program_manager, enrollment, cohort, NOW)
    db.session.commit()
    assert fresh(Enrollment, enrollment.id).status == S.IN_TRAINING
    client = signed_in(program_manager)
    assert "Gail Guardian" not in _guardians_section(
        client.get(f"/teams/{guarded.id}").text
    )

    certificate = pass_required_training(fresh(User, person.id))

    assert certificate is not None
    assert fresh(Enrollment, enrollment.id).status == S.ACTIVE
    assert history(enrollment.id)[-2:] == [
        (S.IN_TRAINING, S.CERTIFIED),
        (S.CERTIFIED, S.ACTIVE),
    ]
    assert Role.GUARDIAN in fresh(User, person.id).roles
    assert "Gail Guardian" in _guardians_section(
        client.get(f"/teams/{guarded.id}").text
    )
    assert "Gail Guardian" not in _guardians_section(
        client.get(f"/teams/{person.team_id}").text
    ), "they guard the team they chose, not the one they are in"
    [payments] = [
        row for row in queries.org_ratios(25) if row["org"].name == "Payments"
    ]
    assert (payments["engineers"], payments["guardians"]) == (1, 1)
    coverage = client.get("/program/coverage").text
    checkout_row = re.search(r"Payments / Checkout</a></td>(.*?)</tr>", coverage, re.S)
    assert re.findall(r'text-end">(\d+)<', checkout_row.group(1)) == ["0", "1", "0"]


def test_someone_certified_before_applying_goes_straight_to_active_when_placed(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    make_required_modules(1)
    person = make_applicant()
    assert pass_required_training(person) is not None
    enrollment = apply_for(person)
    assert fresh(Enrollment, enrollment.id).status == S.APPLIED

    services.place_in_cohort(program_manager, enrollment, make_cohort(), NOW)
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == S.ACTIVE
    assert history(enrollment.id) == [
        (None, S.APPLIED),
        (S.APPLIED, S.APPROVED),
        (S.APPROVED, S.CERTIFIED),
        (S.CERTIFIED, S.ACTIVE),
    ]
    assert Role.GUARDIAN in fresh(User, person.id).roles


def test_certified_while_waiting_for_a_decision_stays_applied_until_placed(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    make_required_modules(1)
    person = make_applicant()
    enrollment = apply_for(person)

    pass_required_training(person)

    assert fresh(Enrollment, enrollment.id).status == S.APPLIED
    assert Role.GUARDIAN not in fresh(User, person.id).roles
    services.place_in_cohort(
        program_manager, enrollment, make_cohort(start_date=NOW.date()), NOW
    )
    db.session.commit()
    assert [to for _, to in history(enrollment.id)] == [
        S.APPLIED,
        S.APPROVED,
        S.IN_TRAINING,
        S.CERTIFIED,
        S.ACTIVE,
    ]


def test_passing_only_some_required_modules_changes_nothing(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    first, _second = make_required_modules(2)
    person = make_applicant()
    enrollment = apply_for(person)
    services.place_in_cohort(
        program_manager, enrollment, make_cohort(start_date=NOW.date()), NOW
    )
    db.session.add(
        ModuleProgress(
            user_id=person.id,
            module_id=first.id,
            attempts=1,
            best_score=100.0,
            passed_at=NOW,
            passed_version_id=first.current_version_id,
        )
    )
    db.session.flush()

    assert certify_if_complete(person, NOW, TrainingPolicy()) is None
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == S.IN_TRAINING
    assert Role.GUARDIAN not in fresh(User, person.id).roles


def test_a_revoked_certificate_ends_active_guardianship_until_passed_again(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    make_required_modules(1)
    person = make_applicant()
    enrollment = apply_for(person)
    services.place_in_cohort(program_manager, enrollment, make_cohort(), NOW)
    certificate = pass_required_training(person)
    assert fresh(Enrollment, enrollment.id).status == S.ACTIVE

    revoke_certificate(program_manager, certificate, "Shared answers.", NOW)
    db.session.commit()

    assert fresh(Enrollment, enrollment.id).status == S.IN_TRAINING
    assert Role.GUARDIAN not in fresh(User, person.id).roles
    assert queries.team_guardians(enrollment.guarded_team_id) == []

    later = NOW + timedelta(days=1)
    module = required_modules()[0]
    attempt = start_attempt(person, module, later)
    submit_attempt(person, attempt, correct_answers(attempt.module_version), later)
    db.session.commit()
    assert fresh(Enrollment, enrollment.id).status == S.ACTIVE
    assert Role.GUARDIAN in fresh(User, person.id).roles


def test_an_expired_certificate_sends_the_guardian_back_to_training(
    db, make_required_modules, make_applicant, apply_for, make_cohort, program_manager
):
    make_required_modules(1)
    person = make_applicant()
    enrollment = apply_for(person)
    services.place_in_cohort(program_manager, enrollment, make_cohort(), NOW)
    certificate = pass_required_training(person)

    report = services.run_enrollment_calendar(
        certificate.expires_at + timedelta(hours=1)
    )
    db.session.commit()

    assert report.endswith("1 certificate(s) lapsed")
    assert fresh(Enrollment, enrollment.id).status == S.IN_TRAINING
    assert Role.GUARDIAN not in fresh(User, person.id).roles
