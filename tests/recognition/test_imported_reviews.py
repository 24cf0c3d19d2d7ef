"""Reviews imported from a file earn their Guardians points and badges as a
survey filled in the portal does, quietly (an import tells nobody), and the
same file twice credits nothing more."""

import io

from sqlalchemy import func, select

from portal.database import utcnow
from portal.notifications.models import Notification
from portal.recognition import points
from portal.recognition.ledger import held_points
from portal.recognition.models import BadgeAward, PointsEntry
from portal.reviews.importer import import_reviews
from portal.reviews.models import Review
from tests.reviews.test_import import (  # noqa: F401 (the people fixture)
    RAE_SURVEY,
    REVIEW,
    ROB_SURVEY,
    csv_text,
    people,
)


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_imported_rated_review_credits_its_guardian_quietly(db, people):  # noqa: F811
    content = csv_text(REVIEW | RAE_SURVEY, REVIEW | ROB_SURVEY)

    import_reviews(io.StringIO(content), utcnow())
    db.session.commit()

    review = db.session.scalar(select(Review))
    worth = points.review_points(review.score)
    assert held_points(people["gia"].id, "review_rated", review.id) == worth > 0
    assert db.session.scalars(select(BadgeAward.badge)).all() == ["first_review"]
    assert _count(db, Notification) == 0

    import_reviews(io.StringIO(content), utcnow())
    db.session.commit()

    assert _count(db, PointsEntry) == 1
    assert _count(db, BadgeAward) == 1
