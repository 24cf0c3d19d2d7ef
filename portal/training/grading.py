"""Quiz grading, on the server only. Each function returns credit from 0 to 1."""

import math
import re
from decimal import Decimal


def _correct_choice_ids(question):
    return {c["id"] for c in question["choices"] if c["correct"]}


def grade_single(question, response):
    return (
        1.0
        if len(response) == 1 and response[0] in _correct_choice_ids(question)
        else 0.0
    )


def grade_multiple(question, response):
    """Partial credit: (correct picked - wrong picked) / all correct, never below 0."""
    correct = _correct_choice_ids(question)
    valid = {c["id"] for c in question["choices"]}
    picked = set(response) & valid
    earned = len(picked & correct) - len(picked - correct)
    return max(0.0, earned / len(correct))


def grade_true_false(question, response):
    return 1.0 if response == ["true" if question["answer"] else "false"] else 0.0


# 1234.5, -3, .25, 1e3, 1,234.5 (commas between groups of three), 3,5 (a decimal comma).
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?")
GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")


def parse_number(text):
    """A typed number, or None when it is not one.

    Decimals and exponents are read, not underscores or "inf". A comma
    separates thousands when it sits before groups of three digits (1,500 is
    fifteen hundred), and is a decimal comma otherwise (3,5 is three and a
    half).
    """
    text = str(text).strip()
    if PLAIN_NUMBER.fullmatch(text):
        value = float(text)
    elif GROUPED_NUMBER.fullmatch(text):
        value = float(text.replace(",", ""))
    elif DECIMAL_COMMA.fullmatch(text):
        value = float(text.replace(",", "."))
    else:
        return None
    return value if math.isfinite(value) else None


def _decimal(number):
    """The number as written (0.1, not 0.1000000000000000055...), for exact edges."""
    return Decimal(str(number))


def grade_numeric(question, response):
    value = parse_number(response[0]) if response else None
    if value is None:
        return 0.0
    difference = abs(_decimal(value) - _decimal(question["answer"]))
    return 1.0 if difference <= _decimal(question.get("tolerance", 0)) else 0.0


GRADERS = {
    "single": grade_single,
    "multiple": grade_multiple,
    "true_false": grade_true_false,
    "numeric": grade_numeric,
}


def grade(question, response):
    """Credit for ``response`` (a list of strings) to ``question``."""
    return GRADERS[question["type"]](question, response or [])


def correct_response(question):
    """The right answer in the same shape as a response, for the result page."""
    if question["type"] in {"single", "multiple"}:
        return sorted(_correct_choice_ids(question))
    if question["type"] == "true_false":
        return ["true" if question["answer"] else "false"]
    return [str(question["answer"])]


def score_percent(questions, credits):
    """Points earned as a percentage of all points."""
    total = sum(q.get("points", 1) for q in questions)
    earned = sum(q.get("points", 1) * credits.get(q["id"], 0.0) for q in questions)
    return round(100.0 * earned / total, 2) if total else 0.0
