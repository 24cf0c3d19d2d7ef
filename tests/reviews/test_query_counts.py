"""The review pages run a fixed number of SQL statements, whatever the data
size: the reviewer's home, a Guardian's reviews, the list and a review's page
with 2 reviews and with 200."""

from datetime import timedelta
from itertools import count

import pytest

from portal.accounts.models import Org, Role, RoleGrant, Team, User
from portal.database import utcnow
from portal.enrollment.models import Enrollment, EnrollmentStatus
from portal.reviews.models import (
    Finding,
    Part,
    ReadinessCheck,
    Review,
    ReviewEvent,
    ReviewPerson,
    Severity,
    Survey,
)
from portal.reviews.models import ReviewStage as S
from tests.helpers import counting_statements, login_as
from tests.reviews.conftest import ANSWERS, NOW, first_guide_edition

STAGES = list(S)
# What one review page gains in people, history and findings per growth step.
BIG_REVIEW_STEP = 10


class ReviewData:
    """Grows the data the review pages list: reviews of one team and of teams
    of their own, at every stage, each supported by the same Guardian and
    reviewed by the same reviewer and one more, with history, findings,
    surveys and readiness checks; and one review whose page gains people,
    history, findings, surveys and readiness checks as the data grows."""

    def __init__(self, db, make_user, make_team):
        self.db = db
        self.numbers = count(1)
        self.team = make_team(name="Checkout")
        self.reviewer = make_user(name="Rae Reviewer", roles=["security_reviewer"])
        self.guardian = make_user(
            name="Gia Guardian", roles=["guardian"], team=make_team()
        )
        self.member = make_user(name="Mia Member", team=self.team)
        self.manager = make_user(name="Pat Manager", roles=["program_manager"])
        db.session.add(
            Enrollment(
                user_id=self.guardian.id,
                status=EnrollmentStatus.ACTIVE,
                guarded_team_id=self.team.id,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        self.edition_id = first_guide_edition().id
        self.guardian_id, self.reviewer_id = self.guardian.id, self.reviewer.id
        self.member_id, self.manager_id = self.member.id, self.manager.id
        big = self._review("Big review", self.team, S.APPROVED, [])
        db.session.commit()
        self.big_id = big.id

    def _person(self, kind, n, role):
        return User(
            email=f"{kind}{n}@example.com",
            display_name=f"{kind.title()} {n:03}",
            password_hash=None,
            created_at=utcnow(),
            role_grants=[RoleGrant(role=role, granted_at=utcnow())],
        )

    def _review(self, title, team, stage, extra_reviewers):
        entered = NOW - timedelta(days=40)
        review = Review(
            title=title,
            team=team,
            opened_on=(entered - timedelta(days=30)).date(),
            closed_on=entered.date() if stage.is_closed else None,
            stage=stage,
            stage_entered_at=entered,
            score=70.0 if stage == S.APPROVED else None,
            created_at=NOW,
            updated_at=NOW,
            people=[
                ReviewPerson(user_id=self.guardian_id, part=Part.GUARDIAN),
                ReviewPerson(user_id=self.reviewer_id, part=Part.REVIEWER),
            ]
            + [ReviewPerson(user=u, part=Part.REVIEWER) for u in extra_reviewers],
        )
        self.db.session.add(review)
        return review

    def _survey(self, review, reviewer=None):
        """The survey of ``reviewer`` (a new person), else of our reviewer."""
        who = {"reviewer": reviewer} if reviewer else {"reviewer_id": self.reviewer_id}
        return Survey(
            review=review,
            **who,
            feedback_markdown="Good work.",
            feedback_html="<p>Good work.</p>",
            private_note="Note.",
            score=81.25,
            guide_edition_id=self.edition_id,
            submitted_at=NOW,
            updated_at=NOW,
            **ANSWERS,
        )

    def _children(self, review, n, actor):
        return [
            ReviewEvent(review=review, to_stage=S.ENGAGED, actor=actor, created_at=NOW),
            ReviewEvent(
                review=review,
                from_stage=S.ENGAGED,
                to_stage=review.stage,
                actor=actor,
                note=f"Step {n}",
                created_at=NOW,
            ),
            Finding(review=review, title=f"Finding {n}", severity=Severity.HIGH),
        ]

    def grow(self, by):
        session = self.db.session
        rated = []
        for _ in range(by):
            n = next(self.numbers)
            stage = STAGES[n % len(STAGES)]
            team = (
                self.team
                if n % 2
                else Team(org=Org(name=f"Org {n:03}"), name=f"Team {n:03}")
            )
            extra = self._person("reviewer", n, Role.SECURITY_REVIEWER)
            review = self._review(f"Service {n:03}", team, stage, [extra])
            session.add_all(self._children(review, n, extra))
            if stage == S.APPROVED and n % 3:
                session.add(self._survey(review))
                rated.append(review)
        session.flush()
        session.add_all(self._readiness(r) for r in rated)
        big = session.get(Review, self.big_id)
        for _ in range(min(by, BIG_REVIEW_STEP)):
            self._grow_big_review(big, next(self.numbers))
        session.commit()

    def _readiness(self, review, guardian=None):
        """The readiness check of ``guardian`` (a new person), else of ours."""
        who = {"user": guardian} if guardian else {"user_id": self.guardian_id}
        return ReadinessCheck(
            review_id=review.id,
            **who,
            notes="Ready.",
            guide_edition_id=self.edition_id,
            created_at=NOW,
            updated_at=NOW,
            **ANSWERS,
        )

    def _grow_big_review(self, big, n):
        reviewer = self._person("bigreviewer", n, Role.SECURITY_REVIEWER)
        guardian = self._person("bigguardian", n, Role.GUARDIAN)
        big.people += [
            ReviewPerson(user=reviewer, part=Part.REVIEWER),
            ReviewPerson(user=guardian, part=Part.GUARDIAN),
        ]
        self.db.session.add_all(
            [
                *self._children(big, n, reviewer),
                self._survey(big, reviewer),
                self._readiness(big, guardian),
            ]
        )


def statements_per_page(app, db, user_id, urls):
    """{url: statements} for one person's pages, each with a fresh session."""
    client = app.test_client()
    login_as(client, db.session.get(User, user_id))
    counts = {}
    for url in urls:
        db.session.remove()
        with counting_statements(db.engine) as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(statements)
    return counts


@pytest.fixture
def data(db, make_user, make_team):
    return ReviewData(db, make_user, make_team)


def _pages(data):
    big = f"/reviews/{data.big_id}"
    return {
        data.reviewer_id: ["/reviews/assigned", "/reviews/", big],
        data.guardian_id: ["/reviews/mine", "/reviews/", big],
        data.manager_id: ["/reviews/", "/reviews/?stage=approved", big],
        data.member_id: ["/reviews/", big],
    }


def _measure(app, db, pages):
    return {
        (person, url): statements
        for person, urls in pages.items()
        for url, statements in statements_per_page(app, db, person, urls).items()
    }


def test_review_pages_run_as_many_statements_with_200_reviews_as_with_2(app, db, data):
    pages = _pages(data)
    data.grow(2)
    small = _measure(app, db, pages)

    data.grow(198)
    large = _measure(app, db, pages)

    assert large == small, "a page runs more statements as its data grows (N+1)"
    for (_, url), statements in small.items():
        assert statements <= 16, f"{url} runs {statements} statements"


def test_the_pages_list_the_grown_data(app, db, data):
    data.grow(30)
    reviewer, guardian = app.test_client(), app.test_client()
    login_as(reviewer, data.reviewer)
    login_as(guardian, data.guardian)

    home = reviewer.get("/reviews/assigned").text
    mine = guardian.get("/reviews/mine").text
    big = guardian.get(f"/reviews/{data.big_id}").text

    # 30 reviews at the seven stages in turn: 22 at the five open stages
    # (4 or 5 at each), all on the reviewer's home; the Guardian supported
    # every one of them and the big review: 31, listed 25 to a page.
    assert home.count('<li class="mb-1"><a href="/reviews/') == 22
    # Approved: 5, 12, 19 and 26; all but 12 have the reviewer's survey; and
    # the big review has none of theirs.
    assert 'your survey <span class="badge text-bg-warning">2</span>' in home
    assert mine.count('<section class="card mb-3"') == 25
    assert "(31, newest first)" in mine
    second = guardian.get("/reviews/mine?page=2").text
    assert second.count('<section class="card mb-3"') == 6
    assert big.count("Finding ") >= BIG_REVIEW_STEP
    assert big.count("’s self-rating</th>") == BIG_REVIEW_STEP
