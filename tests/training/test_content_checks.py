"""Content checks that keep a quiz from giving its answers away: each has a
fixture that breaks it, and the problem names the file and the question."""

from portal.training.content import read_content
from tests.training.conftest import default_questions, write_module
from tests.training.test_content import line_of


def single(qid, right, wrongs, objective=None, **extra):
    question = {
        "id": qid,
        "type": "single",
        "prompt": f"Prompt for {qid}",
        "explanation": "Because.",
        "choices": [{"id": "r", "text": right, "correct": True}]
        + [{"id": f"w{n}", "text": text} for n, text in enumerate(wrongs)],
        **extra,
    }
    if objective:
        question["objective"] = objective
    return question


def true_false(qid, answer):
    return {
        "id": qid,
        "type": "true_false",
        "prompt": f"Statement {qid}",
        "explanation": "Because.",
        "answer": answer,
    }


def problems(root):
    return [str(p) for p in read_content(root)[1]]


def test_a_correct_choice_far_longer_than_the_others_is_reported(content_root):
    longest = single(
        "giveaway",
        "Rotate the key, revoke the old one and review the access logs for misuse",
        ["Ignore it", "Email the team", "Delete the repo"],
    )
    folder = write_module(content_root, "alpha", [longest])

    (problem,) = problems(content_root)

    line = line_of(folder / "quiz.toml", 'id = "giveaway"')
    assert problem.startswith(f"modules/alpha/quiz.toml:{line}: ")
    assert "questions[0] 'giveaway'.choices" in problem
    assert "far longer than the others" in problem


def test_choices_alike_in_length_pass(content_root):
    fair = single(
        "fair",
        "Rotate the key and revoke the old one",
        ["Keep the key and watch the logs", "Move the key to a wiki page"],
    )
    write_module(content_root, "alpha", [fair])

    assert problems(content_root) == []


def test_ticking_every_box_must_not_pay(content_root):
    question = default_questions()[1]  # 3 correct, 2 wrong: ticking all earns 1/3
    question["choices"] = question["choices"][:4]  # 3 correct, 1 wrong: 2/3
    write_module(content_root, "alpha", [question])

    (problem,) = problems(content_root)

    assert "questions[0] 'pick-many'.choices" in problem
    assert "ticking every box earns 67% credit" in problem


def test_the_correct_choice_may_be_the_longest_in_a_third_of_questions(content_root):
    # Twelve single-choice questions; in five the correct choice is the longest.
    questions = [
        single(f"q{n}", "Right choice", ["Other choice one", "Other choice two"])
        for n in range(7)
    ] + [
        single(f"long{n}", "The right choice, longer", ["Other choice", "Wrong one"])
        for n in range(5)
    ]
    write_module(content_root, "alpha", questions[:6])
    write_module(content_root, "beta", questions[6:])

    found = problems(content_root)

    assert len(found) == 5, found
    assert all("longest in 5 of 12 single-choice questions" in p for p in found)
    assert {p.split("'")[1] for p in found} == {f"long{n}" for n in range(5)}


def test_four_longest_of_twelve_is_within_a_third(content_root):
    questions = [
        single(f"q{n}", "Right choice", ["Other choice one", "Other choice two"])
        for n in range(8)
    ] + [
        single(f"long{n}", "The right choice, longer", ["Other choice", "Wrong one"])
        for n in range(4)
    ]
    write_module(content_root, "alpha", questions)

    assert problems(content_root) == []


def test_true_false_answers_must_be_balanced(content_root):
    write_module(content_root, "alpha", [true_false(f"t{n}", n < 8) for n in range(10)])

    (problem,) = problems(content_root)

    assert "content: true_false: 80% of true/false answers are true" in problem


def test_at_most_one_question_in_ten_tests_recall(content_root):
    questions = [
        single(f"q{n}", "Right choice", ["Wrong choice"], recall=n < 2)
        for n in range(10)
    ]
    write_module(content_root, "alpha", questions)

    (problem,) = problems(content_root)

    assert problem.startswith("modules/alpha/quiz.toml: recall: 2 of 10 questions")
    assert "(q0, q1)" in problem


def test_objectives_are_named_and_each_is_tested(content_root):
    objectives = {"stride": "Use STRIDE", "dfd": "Draw a DFD", "unused": "Nothing"}
    questions = [
        single("named", "Right choice", ["Wrong choice"], objective="stride"),
        single("misnamed", "Right choice", ["Wrong choice"], objective="strid"),
        single("drawn", "Right choice", ["Wrong choice"], objective="dfd"),
    ]
    write_module(content_root, "alpha", questions, objectives=objectives)

    found = problems(content_root)

    assert any(
        "questions[1] 'misnamed'.objective: must be one of dfd, stride, unused" in p
        for p in found
    ), found
    assert any(
        "modules/alpha/module.md" in p and "objectives.unused" in p for p in found
    )
    assert "objectives.strid" not in " ".join(found)


def test_an_objective_needs_the_module_to_list_objectives(content_root):
    questions = [single("loose", "Right choice", ["Wrong choice"], objective="x")]
    write_module(content_root, "alpha", questions)

    (problem,) = problems(content_root)

    assert "'loose'.objective: the module lists no [objectives] to name" in problem


def test_questions_per_attempt_fits_the_pool(content_root):
    folder = write_module(content_root, "alpha", questions_per_attempt=5)

    (problem,) = problems(content_root)

    line = line_of(folder / "module.md", "questions_per_attempt")
    assert problem == (
        f"modules/alpha/module.md:{line}: questions_per_attempt: must be from 1 to 4, "
        "the questions in the pool"
    )


def test_review_options_are_known_levels(content_root):
    write_module(content_root, "alpha", review_after_failure="everything")

    (problem,) = problems(content_root)

    assert "review_after_failure: must be one of score, wrong_questions" in problem


def test_a_required_module_states_its_competency(content_root):
    write_module(content_root, "alpha", competency=None)
    write_module(content_root, "beta", competency=None, required=False)

    (problem,) = problems(content_root)

    assert problem.startswith("modules/alpha/module.md:")
    assert "competency: a required module states what passing it shows" in problem


def test_an_unknown_question_field_is_reported(content_root):
    questions = default_questions()
    questions[0]["objetive"] = "typo"
    write_module(content_root, "alpha", questions)

    (problem,) = problems(content_root)

    assert "questions[0].objetive: is not a known field" in problem
