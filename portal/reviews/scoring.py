"""How surveys become scores: the one place the rules live.

The scoring page (/reviews/scoring) shows these rules and works its examples
through these very functions, so what it says is what the portal computes.

- Each applicable answer becomes a fraction: a rating of 1-5 counts as
  (rating - 1) / 4, so 1 is 0 and 5 is 1; Q3 counts Yes as 1 and No as 0.
- n/a drops out of both the sum and the count.
- A survey's score is 100 x the mean of its applicable fractions.
- A review's score (several reviewers) takes, per question, the mean of the
  reviewers' applicable fractions (for Q3: the share of Yes), then 100 x the
  mean over the questions answered by at least one reviewer.
- A Guardian's average is the mean score of the reviews they supported that
  have one, shown with the number of reviews behind it, and only once that
  number reaches PORTAL_REVIEW_MIN_RATED.
"""

from dataclasses import dataclass

from flask import current_app

from portal.reviews.survey import question, question_keys


def fraction(key, value):
    """One answer as a fraction from 0 to 1, or None for n/a."""
    if value is None:
        return None
    if question(key).is_rating:
        return (value - 1) / 4
    return float(value)


def _mean(values):
    return sum(values) / len(values) if values else None


def survey_score(answers):
    """A survey's score from ``{question key: answer}``: 0-100, or None when
    every answer is n/a."""
    applicable = [
        fraction(key, answers.get(key))
        for key in question_keys()
        if answers.get(key) is not None
    ]
    mean = _mean(applicable)
    return None if mean is None else 100 * mean


def question_fractions(all_answers):
    """Per question, the mean fraction of the applicable answers among
    ``all_answers`` (a list of answer dicts); questions nobody answered are left
    out."""
    result = {}
    for key in question_keys():
        values = [fraction(key, a.get(key)) for a in all_answers]
        mean = _mean([v for v in values if v is not None])
        if mean is not None:
            result[key] = mean
    return result


def review_score(all_answers):
    """A review's score from its reviewers' answers: 0-100, or None."""
    mean = _mean(list(question_fractions(all_answers).values()))
    return None if mean is None else 100 * mean


def minimum_rated():
    """The fewest rated reviews an average may be shown for."""
    return current_app.config["PORTAL_REVIEW_MIN_RATED"]


@dataclass(frozen=True)
class Average:
    """A mean over ``count`` rated reviews; ``value`` is None below the minimum."""

    value: float | None
    count: int
    minimum: int

    @property
    def shown(self):
        return self.value is not None

    @property
    def missing(self):
        return max(self.minimum - self.count, 0)


def average(value, count):
    """``value`` (an SQL AVG over ``count`` reviews), hidden below the minimum."""
    least = minimum_rated()
    if value is None or count < least:
        return Average(None, count, least)
    return Average(float(value), count, least)


# Hand-worked examples for the scoring page and its tests.
EXAMPLES = [
    {
        "title": "One reviewer, every question applicable",
        "surveys": [{"q1": 4, "q2": 5, "q3": 1, "q4": 3}],
    },
    {
        "title": "One reviewer with an n/a",
        "surveys": [{"q1": 4, "q2": None, "q3": 1, "q4": 3}],
    },
    {
        "title": "Two reviewers who disagree on Q3",
        "surveys": [
            {"q1": 5, "q2": 3, "q3": 1, "q4": 4},
            {"q1": 3, "q2": None, "q3": 0, "q4": 4},
        ],
    },
]
