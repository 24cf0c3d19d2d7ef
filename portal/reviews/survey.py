"""The end-of-review survey's questions and the calibration guide it ships
with, read once from content/survey.toml: the one place the wording lives."""

import tomllib
from dataclasses import dataclass
from functools import cache

from portal.config import PROJECT_ROOT

SURVEY_FILE = PROJECT_ROOT / "content" / "survey.toml"
RATING_LEVELS = ("1", "2", "3", "4", "5")
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # "rating" (5 to 1) or "yes_no" (1 Yes, 0 No)
    short: str
    prompt: str
    readiness: str
    answers: tuple  # ((value, label), ...), best first

    @property
    def is_rating(self):
        return self.kind == "rating"

    @property
    def guide_keys(self):
        """The parts of the calibration guide this question has."""
        return RATING_LEVELS if self.is_rating else ("applicable",)

    def label_of(self, value):
        if value is None:
            return NOT_APPLICABLE
        return dict(self.answers).get(value, str(value))

    def level_name(self, level):
        """ "Poor" .. "Excellent" for a guide level "1" .. "5"."""
        label = dict(self.answers)[int(level)]
        return label.split(" (")[0]


@cache
def _survey():
    with SURVEY_FILE.open("rb") as file:
        return tomllib.load(file)


@cache
def questions():
    """The four questions, in order."""
    return tuple(
        Question(
            key=q["key"],
            kind=q["kind"],
            short=q["short"],
            prompt=q["prompt"],
            readiness=q["readiness"],
            answers=tuple((value, label) for value, label in q["answers"]),
        )
        for q in _survey()["questions"]
    )


def question(key):
    return next(q for q in questions() if q.key == key)


def question_keys():
    return tuple(q.key for q in questions())


def shipped_guide():
    """The calibration guide as shipped: ``{question: {level: text}}``."""
    return {
        key: {level: text.strip() for level, text in entries.items()}
        for key, entries in _survey()["guide"].items()
    }


def guide_points(text):
    """A guide entry as the points it lists, one per line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
