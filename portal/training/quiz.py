"""What one quiz attempt asks and how it is shown: the draw, the tokens, the review.

Pure functions on a module version's questions (plain dicts from content/);
services.py stores their results on the attempt.

- The draw takes ``questions_per_attempt`` questions from the pool, spread
  over the module's objectives, preferring questions the person was asked
  least often before, so a retake asks different questions where the pool
  allows.
- Every question and every choice (true and false included) goes to the
  browser under a random token that only this attempt knows; the attempt's
  layout maps tokens back to content ids on the server. Content ids, their
  order and correctness never reach the page.
- The review level decides what a result page may show.
"""

import secrets
from collections import Counter

from portal.training.grading import correct_response

TOKEN_BYTES = 6
TRUE_FALSE_CHOICES = (("true", "True"), ("false", "False"))
REVIEW_LEVELS = ("score", "wrong_questions", "explanations", "answers")
# After the final failed attempt nothing that names a right choice is shown.
LOCKED_OUT_LEVEL = "explanations"


def draw_questions(questions, count, seen, rng, revealed=None):
    """``count`` questions of the pool in the order this attempt asks them.

    Greedy: each pick is a question whose explanation or answer the person
    was shown least often (``revealed``: question id -> times), then one they
    were asked least often (``seen``), then one whose objective has the fewest
    picks so far, then chance. A retake so asks what the earlier result pages
    did not explain, as far as the pool allows.
    """
    revealed = revealed or {}
    count = len(questions) if count is None else min(count, len(questions))
    remaining = list(questions)
    rng.shuffle(remaining)
    picks_per_objective = Counter()
    drawn = []
    for _ in range(count):
        chosen = min(
            remaining,
            key=lambda q: (
                revealed.get(q["id"], 0),
                seen.get(q["id"], 0),
                picks_per_objective[q.get("objective")],
            ),
        )
        remaining.remove(chosen)
        picks_per_objective[chosen.get("objective")] += 1
        drawn.append(chosen)
    rng.shuffle(drawn)
    return drawn


def _fresh_token(taken):
    while True:
        token = secrets.token_hex(TOKEN_BYTES)
        if token not in taken:
            taken.add(token)
            return token


def _choice_ids(question):
    if question["type"] in {"single", "multiple"}:
        return [c["id"] for c in question["choices"]]
    if question["type"] == "true_false":
        return [value for value, _ in TRUE_FALSE_CHOICES]
    return []


def attempt_layout(questions, rng):
    """The stored layout of an attempt asking ``questions`` in this order.

    Each entry: ``{"q": question id, "f": field token, "c": [[token, choice
    id], ...]}`` with choices shuffled (true/false keep their usual order;
    their tokens still hide which is which).
    """
    taken = set()
    layout = []
    for question in questions:
        choice_ids = _choice_ids(question)
        if question["type"] != "true_false":
            rng.shuffle(choice_ids)
        layout.append(
            {
                "q": question["id"],
                "f": _fresh_token(taken),
                "c": [[_fresh_token(taken), cid] for cid in choice_ids],
            }
        )
    return layout


def asked_questions(version, layout):
    """The version's questions an attempt asked, in its order."""
    by_id = {q["id"]: q for q in version.questions}
    return [by_id[entry["q"]] for entry in layout if entry["q"] in by_id]


def choice_labels(question):
    """Choice id -> the text shown for it (true/false included)."""
    if question["type"] == "true_false":
        return dict(TRUE_FALSE_CHOICES)
    return {c["id"]: c["text"] for c in question.get("choices", [])}


def responses_from_tokens(layout, submitted):
    """``{question id: [content answers]}`` from ``{field token: token(s) or text}``.

    A token this attempt did not issue for that question is dropped; the form
    refuses such values before grading ever sees them.
    """
    responses = {}
    for entry in layout:
        value = submitted.get(entry["f"])
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v is not None]
        if entry["c"]:
            by_token = dict(entry["c"])
            responses[entry["q"]] = [by_token[v] for v in values if v in by_token]
        else:
            responses[entry["q"]] = [str(v) for v in values]
    return responses


def review_level(version, passed, locked_out):
    """What a result page shows: one of REVIEW_LEVELS.

    ``locked_out``: no right choice may show, because the person used every
    attempt without passing (until a program manager grants more), or is
    renewing and the attempt is from an earlier round.
    """
    level = version.review_after_pass if passed else version.review_after_failure
    if locked_out and REVIEW_LEVELS.index(level) > REVIEW_LEVELS.index(
        LOCKED_OUT_LEVEL
    ):
        return LOCKED_OUT_LEVEL
    return level


def shows(level, what):
    """Whether ``level`` includes ``what`` (a name from REVIEW_LEVELS)."""
    return REVIEW_LEVELS.index(level) >= REVIEW_LEVELS.index(what)


def result_items(version, attempt, level):
    """What the result page shows of the questions asked, at review ``level``.

    Below "answers" only the questions not fully right are listed, without the
    answer given or partial credit: either would point at the right choice
    (a wrong "true" means "false"). What the level does not allow is left out
    here, so no template can show it.
    """
    if not shows(level, "wrong_questions"):
        return []
    by_id = {q["id"]: q for q in version.questions}
    answers = {a.question_id: a for a in attempt.answers}
    everything = shows(level, "answers")
    items = []
    for entry in attempt.layout:
        question, answer = by_id.get(entry["q"]), answers.get(entry["q"])
        if question is None:
            continue
        credit = answer.credit if answer else 0.0
        if credit >= 1 and not everything:
            continue
        item = {
            "prompt": question["prompt"],
            "prompt_html": question.get("prompt_html"),
        }
        if shows(level, "explanations"):
            item["explanation"] = question["explanation"]
        if everything:
            labels = choice_labels(question)
            given = answer.response if answer else []
            item["credit"] = credit
            item["given"] = [labels.get(r, r) for r in given]
            item["correct"] = [labels.get(r, r) for r in correct_response(question)]
        items.append(item)
    return items


def revealed_questions(version, attempt, level):
    """The ids of the questions whose result page explained or answered them."""
    if not shows(level, "explanations"):
        return set()
    if shows(level, "answers"):
        return {entry["q"] for entry in attempt.layout}
    return {a.question_id for a in attempt.answers if a.credit < 1}
