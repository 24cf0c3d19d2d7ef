"""The time a quiz reopens is shown rounded up: never earlier than it opens."""

from datetime import UTC, datetime

import pytest

from portal.training.standing import minute_label


@pytest.mark.parametrize(
    ("moment", "label"),
    [
        (datetime(2030, 3, 4, 19, 55, 0, tzinfo=UTC), "2030-03-04 19:55"),
        (datetime(2030, 3, 4, 19, 54, 1, tzinfo=UTC), "2030-03-04 19:55"),
        (datetime(2030, 3, 4, 19, 54, 59, 999, tzinfo=UTC), "2030-03-04 19:55"),
        (datetime(2030, 3, 4, 23, 59, 30, tzinfo=UTC), "2030-03-05 00:00"),
    ],
)
def test_the_label_rounds_up_to_the_minute(moment, label):
    assert minute_label(moment) == label
