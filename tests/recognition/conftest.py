"""Recognition fixtures: the review fixtures (a cast around one team's
reviews, reviews in any stage, signed-in clients) and the shipped awards."""

from datetime import UTC, datetime

import pytest

from portal.recognition.models import AwardKind
from tests.reviews.conftest import (  # noqa: F401 (fixtures used here)
    ANSWERS,
    NOW,
    cast,
    guard,
    make_review,
    signed_in,
)


@pytest.fixture
def award_kind(db):
    """Guardian of the Quarter, as the migration ships it."""
    kind = AwardKind(
        name="Guardian of the Quarter",
        description="The quarter's most helpful Guardian.",
        points=100,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    db.session.add(kind)
    db.session.commit()
    return kind
