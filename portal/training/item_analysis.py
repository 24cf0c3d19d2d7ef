"""Item analysis of a module version's questions, for program managers.

Only each person's first attempt counts (retakes repeat questions the person
has already seen, so they would flatter every figure).

- Difficulty: the mean credit (1 = everyone right).
- Discrimination: the corrected item-rest correlation, the Pearson
  correlation between a question's credit and the attempt's score on the
  *other* questions it asked; the item is left out of the total so that it
  does not correlate with itself.
- Distractors: for each wrong choice, the share of all first attempts that
  picked it, and the shares in the strongest and weakest 27% by score
  (the attempt's place by score among the version's first attempts).

Figures are shown from the first answer, but a question is flagged only from
MIN_SAMPLE answers: below that, noise flags good questions.
"""

import json
import math
from dataclasses import dataclass, field

from sqlalchemy import Float, String, case, cast, func, select

from portal.extensions import db
from portal.training.models import AttemptStatus, QuizAnswer, QuizAttempt

MIN_SAMPLE = 30
GROUP_SHARE = 0.27
TOO_EASY = 0.9
TOO_HARD = 0.3
POOR_DISCRIMINATION = 0.2
UNPICKED_SHARE = 0.02
# A wrong choice is "attractive to the strong" when the strongest group picks
# it at least this much more often than the weakest, and at least this often:
# with groups of ten or so, one pick either way is noise.
STRONG_PICK_MARGIN = 0.1
STRONG_PICK_MINIMUM = 3

FLAG_LABELS = {
    "too_easy": "Too easy: nearly everyone gets it right",
    "too_hard": "Too hard: most people get it wrong",
    "poor_discrimination": "Poor discrimination: strong and weak candidates do alike",
    "unpicked_distractor": "A wrong choice nobody picks",
    "attractive_to_strong": "A wrong choice strong candidates pick more than weak ones",
}


@dataclass
class ChoiceFigures:
    id: str
    text: str
    correct: bool
    picked: int = 0
    strong: int = 0
    weak: int = 0
    flags: list = field(default_factory=list)


@dataclass
class QuestionFigures:
    question: dict
    answers: int = 0
    difficulty: float | None = None
    discrimination: float | None = None
    strong_group: int = 0
    weak_group: int = 0
    choices: list = field(default_factory=list)
    flags: list = field(default_factory=list)

    @property
    def flag_labels(self):
        return [FLAG_LABELS[flag] for flag in self.flags]


def correlation(n, sx, sy, sxy, sxx, syy):
    """Pearson's r from sums; None when either variable does not vary."""
    var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
    if n < 2 or var_x <= 1e-9 or var_y <= 1e-9:
        return None
    return (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def _first_attempts_ranked(version):
    """Each first attempt at ``version`` with its points and its rank by score."""
    return (
        select(
            QuizAttempt.id,
            QuizAttempt.points_earned,
            QuizAttempt.points_possible,
            # Ties are split by id so that each group holds 27% exactly.
            (
                cast(
                    func.row_number().over(
                        order_by=(QuizAttempt.score, QuizAttempt.id)
                    ),
                    Float,
                )
                / cast(func.count().over(), Float)
            ).label("rank"),
        )
        .where(
            QuizAttempt.module_version_id == version.id,
            QuizAttempt.status == AttemptStatus.SUBMITTED,
            QuizAttempt.round == 1,
            QuizAttempt.number == 1,
        )
        .cte("first_attempts")
    )


def _answer_sums(version):
    """One row per (question, response, score group) with the sums behind every
    figure; additive, so Python adds the groups up per question. One query."""
    attempts = _first_attempts_ranked(version)
    credit = QuizAnswer.credit
    # The attempt's score on its other questions; NULL when it asked only this one.
    # Typed as floats throughout: PostgreSQL would otherwise divide as NUMERIC,
    # several times slower.
    rest = (attempts.c.points_earned - QuizAnswer.points * credit) / func.nullif(
        attempts.c.points_possible - QuizAnswer.points, 0.0, type_=Float
    )
    paired = case((rest.isnot(None), credit))
    group = case(
        (attempts.c.rank > 1 - GROUP_SHARE, "strong"),
        (attempts.c.rank <= GROUP_SHARE, "weak"),
        else_="middle",
    )
    response = cast(QuizAnswer.response, String)
    return db.session.execute(
        select(
            QuizAnswer.question_id,
            response,
            group,
            func.count(),
            func.sum(credit),
            func.count(rest),
            func.sum(paired),
            func.sum(rest),
            func.sum(paired * rest),
            func.sum(paired * paired),
            func.sum(rest * rest),
        )
        .join(attempts, attempts.c.id == QuizAnswer.attempt_id)
        # Read each attempt's answers by attempt: filtering the answers by
        # version as well makes SQLite scan them all once per attempt.
        .group_by(QuizAnswer.question_id, response, group)
    ).all()


def _choice_figures(question, picks):
    choices = {
        c["id"]: ChoiceFigures(c["id"], c["text"], c["correct"])
        for c in question.get("choices", [])
    }
    groups = {"strong": 0, "weak": 0}
    for response_text, group, count in picks:
        if group in groups:
            groups[group] += count
        for choice_id in set(json.loads(response_text or "[]")):
            if choice_id in choices:
                figures = choices[choice_id]
                figures.picked += count
                if group == "strong":
                    figures.strong += count
                elif group == "weak":
                    figures.weak += count
    return list(choices.values()), groups


def _attractive_to_strong(choice, figures):
    if choice.strong < STRONG_PICK_MINIMUM or not figures.strong_group:
        return False
    strong_rate = choice.strong / figures.strong_group
    weak_rate = choice.weak / figures.weak_group if figures.weak_group else 0.0
    return strong_rate >= weak_rate + STRONG_PICK_MARGIN


def _flag(figures):
    if figures.answers < MIN_SAMPLE:
        return
    if figures.difficulty is not None and figures.difficulty > TOO_EASY:
        figures.flags.append("too_easy")
    if figures.difficulty is not None and figures.difficulty < TOO_HARD:
        figures.flags.append("too_hard")
    if figures.discrimination is None or figures.discrimination < POOR_DISCRIMINATION:
        figures.flags.append("poor_discrimination")
    for choice in figures.choices:
        if choice.correct:
            continue
        if choice.picked < UNPICKED_SHARE * figures.answers:
            choice.flags.append("unpicked_distractor")
        if _attractive_to_strong(choice, figures):
            choice.flags.append("attractive_to_strong")
    for flag in ("unpicked_distractor", "attractive_to_strong"):
        if any(flag in choice.flags for choice in figures.choices):
            figures.flags.append(flag)


def _totals(rows):
    """Per question: answers, credit, and the item-rest sums (n, x, y, xy, xx, yy)."""
    totals = {}
    for question_id, _response, _group, count, credit, *pair_sums in rows:
        answers, credits, sums = totals.get(question_id, (0, 0.0, [0.0] * 6))
        totals[question_id] = (
            answers + count,
            credits + float(credit or 0),
            [a + float(b or 0) for a, b in zip(sums, pair_sums, strict=True)],
        )
    return totals


def analyse_version(version):
    """Figures and flags for every question of ``version``'s pool (one query)."""
    rows = _answer_sums(version)
    totals = _totals(rows)
    picks = {}
    for question_id, response, group, count, *_ in rows:
        picks.setdefault(question_id, []).append((response, group, count))
    analysed = []
    for question in version.questions:
        figures = QuestionFigures(question=question)
        if question["id"] in totals:
            answers, credits, sums = totals[question["id"]]
            figures.answers = answers
            figures.difficulty = credits / answers
            figures.discrimination = correlation(*sums)
        choices, groups = _choice_figures(question, picks.get(question["id"], []))
        figures.choices = choices
        figures.strong_group, figures.weak_group = groups["strong"], groups["weak"]
        _flag(figures)
        analysed.append(figures)
    return analysed
