"""Checks that keep a quiz from giving its answers away, and its pool sound.

A quiz that can be passed without reading the module certifies nothing. These
checks run in `flask content sync` after every file has been parsed; each
yields ``(file, line, field, message)`` naming the question at fault, and
content.py turns them into problems that stop the sync.
"""

# A correct choice this much longer than every other, and by this many
# characters, is the one a guesser picks.
LONGER_FACTOR = 1.5
LONGER_BY_CHARACTERS = 15
# Across the curriculum, the correct single choice may be the longest option in
# about a third of questions (chance is a quarter with four choices).
LONGEST_SHARE_LIMIT = 1 / 3
LONGEST_SHARE_MINIMUM_QUESTIONS = 12
# Ticking every box of a "select all that apply" question must not pay.
TICK_ALL_CREDIT_LIMIT = 0.5
# "Always true" must not pay either.
TRUE_SHARE_RANGE = (0.3, 0.7)
TRUE_SHARE_MINIMUM_QUESTIONS = 10
# At most one question in ten may test recall of a number or an example's detail.
RECALL_SHARE_LIMIT = 0.1


def _gives_away_by_length(question):
    """The correct choices are all far longer than every wrong one."""
    right = min(len(c["text"]) for c in question["choices"] if c["correct"])
    other = max(len(c["text"]) for c in question["choices"] if not c["correct"])
    return right >= LONGER_FACTOR * other and right - other >= LONGER_BY_CHARACTERS


def tick_all_credit(question):
    """The credit earned by ticking every box (see grading.grade_multiple)."""
    correct = sum(1 for c in question["choices"] if c["correct"])
    wrong = len(question["choices"]) - correct
    return max(0.0, (correct - wrong) / correct)


def correct_is_longest(question):
    """True when the one correct choice is strictly the longest option."""
    correct = next(c for c in question["choices"] if c["correct"])
    return all(
        len(correct["text"]) > len(c["text"])
        for c in question["choices"]
        if c is not correct
    )


def _question_checks(source, index, question):
    where = (source.files["quiz"], source.lines["questions"][index])
    label = f"questions[{index}] '{question['id']}'"
    if question["type"] in {"single", "multiple"} and _gives_away_by_length(question):
        yield (
            *where,
            f"{label}.choices",
            "the correct choice is far longer than the others; a guesser picks "
            "it without reading: make the choices alike in length",
        )
    if question["type"] == "multiple" and (
        tick_all_credit(question) > TICK_ALL_CREDIT_LIMIT
    ):
        yield (
            *where,
            f"{label}.choices",
            f"ticking every box earns {tick_all_credit(question):.0%} credit; "
            "add wrong choices (at least half as many as the correct ones)",
        )
    objectives = source.meta["objectives"]
    objective = question.get("objective")
    if objectives and objective not in objectives:
        known = ", ".join(sorted(objectives))
        yield (*where, f"{label}.objective", f"must be one of {known}")
    elif not objectives and objective is not None:
        yield (
            *where,
            f"{label}.objective",
            "the module lists no [objectives] to name",
        )


def _pool_checks(source):
    meta, questions = source.meta, source.questions
    module_file = source.files["module"]
    per_attempt = meta["questions_per_attempt"]
    if per_attempt is not None and not 1 <= per_attempt <= len(questions):
        yield (
            module_file,
            source.lines.get("questions_per_attempt"),
            "questions_per_attempt",
            f"must be from 1 to {len(questions)}, the questions in the pool",
        )
    named = {q["objective"] for q in questions}
    for objective in sorted(set(meta["objectives"]) - named):
        yield (
            module_file,
            source.lines.get("objectives"),
            f"objectives.{objective}",
            "no question tests this objective",
        )
    recall = [q["id"] for q in questions if q["recall"]]
    if len(recall) > RECALL_SHARE_LIMIT * len(questions):
        yield (
            source.files["quiz"],
            None,
            "recall",
            f"{len(recall)} of {len(questions)} questions test recall "
            f"({', '.join(recall)}); at most one in ten may: ask about a situation",
        )


def check_module(source):
    """Problems of one parsed module's quiz and question pool."""
    for index, question in enumerate(source.questions):
        yield from _question_checks(source, index, question)
    yield from _pool_checks(source)


def _each_question(sources, kind):
    for source in sources:
        for index, question in enumerate(source.questions):
            if question["type"] == kind:
                yield source, index, question


def check_curriculum(sources):
    """Problems only visible across every module: patterns a guesser learns."""
    singles = list(_each_question(sources, "single"))
    longest = [item for item in singles if correct_is_longest(item[2])]
    if len(singles) >= LONGEST_SHARE_MINIMUM_QUESTIONS and len(
        longest
    ) > LONGEST_SHARE_LIMIT * len(singles):
        for source, index, question in longest:
            yield (
                source.files["quiz"],
                source.lines["questions"][index],
                f"questions[{index}] '{question['id']}'.choices",
                f"the correct choice is the longest in {len(longest)} of "
                f"{len(singles)} single-choice questions (at most a third may be): "
                "shorten it or lengthen a wrong one",
            )
    flags = list(_each_question(sources, "true_false"))
    if len(flags) >= TRUE_SHARE_MINIMUM_QUESTIONS:
        true_share = sum(1 for *_, q in flags if q["answer"]) / len(flags)
        low, high = TRUE_SHARE_RANGE
        if not low <= true_share <= high:
            yield (
                "content",
                None,
                "true_false",
                f"{true_share:.0%} of true/false answers are true; keep it "
                f"between {low:.0%} and {high:.0%} so that always answering "
                "one way does not pay",
            )
