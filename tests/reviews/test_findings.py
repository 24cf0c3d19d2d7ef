"""A review's findings: counts by severity set by its recorders only, never
below the findings listed, listing one raises its count when needed, a fixed
finding needs its date, and bad values are refused."""

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from portal.errors import DomainError
from portal.reviews import services
from portal.reviews.models import Finding, FindingStatus, Review, Severity
from portal.reviews.models import ReviewStage as S
from tests.reviews.conftest import NOW, TODAY, audit_rows, fresh, row_counts

ZERO = dict.fromkeys(Severity, 0)
RECORDERS = ("reviewer", "other_reviewer", "manager", "admin")
NOT_RECORDERS = ("supporter", "team_guardian", "member")


def counts_of(review_id):
    review = fresh(Review, review_id)
    return {s: review.count_of(s) for s in Severity}


def listed(review, severity, status=FindingStatus.OPEN, fixed_on=None):
    return Finding(
        review_id=review.id,
        title=f"{severity.label} finding",
        severity=severity,
        status=status,
        fixed_on=fixed_on,
    )


@pytest.fixture
def review(db, cast, make_review):
    return cast.review(make_review, stage=S.IN_REVIEW)


@pytest.mark.parametrize("person", RECORDERS)
def test_recorders_set_the_counts_and_the_change_is_audited(db, cast, review, person):
    wanted = {**ZERO, Severity.HIGH: 2, Severity.LOW: 5}
    actor = getattr(cast, person)

    services.set_finding_counts(actor, review, wanted, NOW)
    db.session.commit()
    services.set_finding_counts(actor, review, wanted, NOW)  # the same again
    db.session.commit()

    assert counts_of(review.id) == wanted
    assert fresh(Review, review.id).medium_and_high == 2
    assert audit_rows(review.id) == [
        ("review.findings", actor.id, {"high": [0, 2], "low": [0, 5]})
    ]


@pytest.mark.parametrize("person", NOT_RECORDERS)
def test_nobody_else_sets_them(db, cast, review, signed_in, person):
    client = signed_in(getattr(cast, person))
    before = row_counts()

    with pytest.raises(DomainError) as raised:
        services.set_finding_counts(
            getattr(cast, person), review, {**ZERO, Severity.HIGH: 1}, NOW
        )
    db.session.rollback()
    response = client.post(
        f"/reviews/{review.id}/findings/counts",
        data={f"{s.value}_count": "1" for s in Severity},
    )

    assert raised.value.message == "You cannot edit this review."
    assert response.status_code == 403
    assert counts_of(review.id) == ZERO
    assert row_counts() == before


def test_a_count_never_goes_below_the_findings_listed(db, cast, review):
    db.session.add_all([listed(review, Severity.HIGH), listed(review, Severity.HIGH)])
    db.session.commit()

    with pytest.raises(DomainError) as raised:
        services.set_finding_counts(
            cast.reviewer, review, {**ZERO, Severity.HIGH: 1}, NOW
        )

    assert (raised.value.field, raised.value.message) == (
        "high_count",
        "2 high finding(s) are listed below.",
    )
    db.session.rollback()
    assert counts_of(review.id) == ZERO
    assert audit_rows(review.id) == []
    services.set_finding_counts(cast.reviewer, review, {**ZERO, Severity.HIGH: 2}, NOW)
    db.session.commit()
    assert counts_of(review.id)[Severity.HIGH] == 2


@pytest.mark.parametrize("value", [-1, 10_001, None])
def test_counts_out_of_range_are_refused(db, cast, review, value):
    with pytest.raises(DomainError) as raised:
        services.set_finding_counts(
            cast.reviewer, review, {**ZERO, Severity.MEDIUM: value}, NOW
        )

    assert raised.value.field == "medium_count"
    assert raised.value.message == "Give a whole number from 0 to 10000."
    db.session.rollback()
    assert counts_of(review.id) == ZERO


def test_the_database_refuses_a_negative_count(db, review):
    review.critical_count = -1
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert counts_of(review.id) == ZERO


def test_listing_a_finding_raises_its_count_only_when_needed(db, cast, review):
    services.set_finding_counts(cast.reviewer, review, {**ZERO, Severity.LOW: 3}, NOW)
    db.session.commit()

    for severity in (Severity.HIGH, Severity.HIGH, Severity.LOW):
        services.add_finding(
            cast.reviewer,
            review,
            title=f"A {severity.value} one",
            severity=severity,
            status=FindingStatus.OPEN,
            fixed_on=None,
            now=NOW,
        )
        db.session.commit()

    # Two high ones listed on a count of 0: 2. One low one on a count of 3: 3.
    assert counts_of(review.id) == {**ZERO, Severity.HIGH: 2, Severity.LOW: 3}
    assert [row[0] for row in audit_rows(review.id)] == [
        "review.findings",
        "review.finding_add",
        "review.finding_add",
        "review.finding_add",
    ]


def test_taking_a_finding_off_the_list_keeps_the_count(db, cast, review):
    finding = services.add_finding(
        cast.reviewer,
        review,
        title="Weak TLS",
        severity=Severity.MEDIUM,
        status=FindingStatus.OPEN,
        fixed_on=None,
        now=NOW,
    )
    db.session.commit()

    services.remove_finding(cast.reviewer, finding, NOW)
    db.session.commit()

    assert fresh(Review, review.id).findings == []
    assert counts_of(review.id)[Severity.MEDIUM] == 1
    assert audit_rows(review.id)[-1][:2] == ("review.finding_remove", cast.reviewer.id)


def _add(actor, review, status, fixed_on, title="Secrets in logs"):
    return services.add_finding(
        actor,
        review,
        title=title,
        severity=Severity.HIGH,
        status=status,
        fixed_on=fixed_on,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("status", "fixed_on", "field", "message"),
    [
        (FindingStatus.FIXED, None, "fixed_on", "Give the date the finding was fixed."),
        (
            FindingStatus.FIXED,
            TODAY - timedelta(days=31),
            "fixed_on",
            "A finding cannot be fixed before the review opened.",
        ),
    ],
)
def test_a_fixed_finding_needs_a_date_from_the_review_on(
    db, cast, review, status, fixed_on, field, message
):
    before = row_counts()

    with pytest.raises(DomainError) as raised:
        _add(cast.reviewer, review, status, fixed_on)

    assert (raised.value.field, raised.value.message) == (field, message)
    db.session.rollback()
    assert row_counts() == before


def test_a_finding_that_is_not_fixed_keeps_no_fixed_date(db, cast, review):
    finding = _add(cast.reviewer, review, FindingStatus.ACCEPTED_RISK, TODAY)
    fixed = _add(cast.reviewer, review, FindingStatus.FIXED, TODAY, title="Fixed one")
    db.session.commit()

    assert fresh(Finding, finding.id).fixed_on is None
    assert fresh(Finding, fixed.id).fixed_on == TODAY


def test_changing_a_findings_status(db, cast, review):
    finding = _add(cast.reviewer, review, FindingStatus.OPEN, None)
    db.session.commit()

    with pytest.raises(DomainError) as raised:
        services.update_finding(
            cast.reviewer, finding, status=FindingStatus.FIXED, fixed_on=None, now=NOW
        )
    assert raised.value.field == "fixed_on"
    db.session.rollback()

    services.update_finding(
        cast.manager, finding, status=FindingStatus.FIXED, fixed_on=TODAY, now=NOW
    )
    db.session.commit()
    assert (fresh(Finding, finding.id).status, fresh(Finding, finding.id).fixed_on) == (
        FindingStatus.FIXED,
        TODAY,
    )

    services.update_finding(
        cast.reviewer, finding, status=FindingStatus.OPEN, fixed_on=TODAY, now=NOW
    )
    db.session.commit()
    assert fresh(Finding, finding.id).fixed_on is None
    assert audit_rows(review.id, "review.finding_update")[0][2] == {
        "finding": "Secrets in logs",
        "status": ["open", "fixed"],
    }


@pytest.mark.parametrize("person", NOT_RECORDERS)
def test_only_recorders_list_change_or_remove_findings(db, cast, review, person):
    finding = _add(cast.reviewer, review, FindingStatus.OPEN, None)
    db.session.commit()
    actor = getattr(cast, person)
    before = row_counts()

    for attempt in (
        lambda: _add(actor, review, FindingStatus.OPEN, None, title="Mine"),
        lambda: services.update_finding(
            actor, finding, status=FindingStatus.ACCEPTED_RISK, fixed_on=None, now=NOW
        ),
        lambda: services.remove_finding(actor, finding, NOW),
    ):
        with pytest.raises(DomainError):
            attempt()
        db.session.rollback()

    assert row_counts() == before
    assert fresh(Finding, finding.id).status == FindingStatus.OPEN


def test_the_database_refuses_a_fixed_date_on_an_open_finding(db, review):
    db.session.add(listed(review, Severity.LOW, fixed_on=TODAY))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert fresh(Review, review.id).findings == []


def test_findings_through_the_page(db, cast, review, signed_in):
    client = signed_in(cast.reviewer)
    base = f"/reviews/{review.id}"

    added = client.post(
        f"{base}/findings",
        data={"title": "IDOR on /orders", "severity": "critical", "status": "open"},
    )
    [finding] = fresh(Review, review.id).findings
    no_date = client.post(f"{base}/findings/{finding.id}", data={"status": "fixed"})
    flashed = client.get(base).text
    dated = client.post(
        f"{base}/findings/{finding.id}",
        data={"status": "fixed", "fixed_on": TODAY.isoformat()},
    )

    assert added.headers["Location"] == f"{base}#findings"
    assert counts_of(review.id)[Severity.CRITICAL] == 1
    assert no_date.status_code == dated.status_code == 302
    assert "Give the date the finding was fixed." in flashed
    assert fresh(Finding, finding.id).fixed_on == TODAY
    assert "IDOR on /orders" in client.get(base).text


@pytest.mark.parametrize(
    ("path", "data", "flashed"),
    [
        (
            "/findings",
            {"title": "Huge", "severity": "huge", "status": "open"},
            "Severity: Not a valid choice.",
        ),
        (
            "/findings",
            {"title": "   ", "severity": "low", "status": "open"},
            "Finding:",
        ),
        (
            "/findings/counts",
            {**{f"{s.value}_count": "0" for s in Severity}, "low_count": "-3"},
            "Low: Number must be between 0 and 10000.",
        ),
        (
            "/findings/counts",
            {**{f"{s.value}_count": "0" for s in Severity}, "high_count": "many"},
            "High:",
        ),
    ],
)
def test_bad_values_through_the_page_are_refused(
    db, cast, review, signed_in, path, data, flashed
):
    client = signed_in(cast.reviewer)
    before = row_counts()

    response = client.post(f"/reviews/{review.id}{path}", data=data)

    assert response.status_code == 302
    assert flashed in client.get(f"/reviews/{review.id}").text
    assert row_counts() == before


def test_a_finding_is_reached_only_through_its_own_review(
    db, cast, review, make_review, signed_in
):
    other = cast.review(make_review, stage=S.IN_REVIEW)
    finding = _add(cast.reviewer, other, FindingStatus.OPEN, None)
    db.session.commit()
    client = signed_in(cast.reviewer)
    before = row_counts()

    wrong = f"/reviews/{review.id}/findings/{finding.id}"
    assert client.post(wrong, data={"status": "accepted_risk"}).status_code == 404
    assert client.post(f"{wrong}/remove").status_code == 404
    assert row_counts() == before


def test_recorders_get_the_counts_form_and_others_the_table(
    db, cast, review, signed_in
):
    services.set_finding_counts(cast.reviewer, review, {**ZERO, Severity.LOW: 4}, NOW)
    db.session.commit()

    recorder = signed_in(cast.manager).get(f"/reviews/{review.id}").text
    member = signed_in(cast.member).get(f"/reviews/{review.id}").text

    assert 'aria-label="Finding counts"' in recorder and "List a finding" in recorder
    assert (
        'aria-label="Finding counts"' not in member and "List a finding" not in member
    )
    assert '<caption class="visually-hidden">Findings by severity</caption>' in member
    assert "<td>4</td>" in member


@pytest.mark.parametrize(
    "ticket",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        'https://tickets.example.com/" onmouseover="alert(1)',
        "https://tickets.example.com/\u202egnp.exe",
        "https://tickets.example.com/\u200bSEC-1",
        "https://tickets.example.com/\x00",
        "ftp://tickets.example.com/SEC-1",
        "https://" + "a" * 500,
    ],
)
def test_a_ticket_link_is_an_http_link_and_nothing_else(db, cast, ticket):
    with pytest.raises(DomainError) as refused:
        services.create_review(
            cast.manager,
            title="Payout scheduler",
            team_id=cast.team.id,
            ticket_url=ticket,
            opened_on=TODAY,
            guardians="",
            reviewers="",
            now=NOW,
        )

    assert refused.value.field == "ticket_url"
