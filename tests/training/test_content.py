"""Reading module folders: every validation error names the file, the line when
it can, and the field, and every problem is reported in one pass."""

import pytest

from portal.training.content import read_content
from tests.training.conftest import default_questions, quiz_text, write_module


def problems_in(root):
    sources, problems = read_content(root)
    return problems


def the_problem(root):
    problems = problems_in(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def line_of(path, start):
    """The 1-based line of ``path`` that starts with ``start``."""
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith(start))


def replace_line(path, start, new_line):
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[index] = new_line
    path.write_text("\n".join(lines) + "\n")


def test_a_valid_module_is_read_with_defaults_and_normalised_questions(content_root):
    questions = default_questions("alpha")
    questions[0]["points"] = 3
    write_module(
        content_root,
        "alpha",
        questions,
        prerequisites=None,
        tags=None,
        order=None,
        body="# Alpha\n\nRead **this**.\n",
    )

    sources, problems = read_content(content_root)

    assert problems == []
    (source,) = sources
    assert source.slug == "alpha"
    assert source.meta["prerequisites"] == [] and source.meta["tags"] == []
    assert source.meta["order"] == 100
    assert source.body.strip() == "# Alpha\n\nRead **this**."
    single, multiple, true_false, numeric = source.questions
    assert single["points"] == 3 and multiple["points"] == 1
    assert [c["correct"] for c in single["choices"]] == [True, False, False]
    assert true_false["answer"] is True
    assert numeric["answer"] == 4817.25 and numeric["tolerance"] == 0.5
    assert len(source.content_hash) == 64


def test_problem_reads_as_file_line_field_message(content_root):
    folder = write_module(content_root, "alpha", pass_mark=150)

    problem = the_problem(content_root)

    line = line_of(folder / "module.md", "pass_mark")
    assert str(problem) == (
        f"modules/alpha/module.md:{line}: pass_mark: must be from 1 to 100"
    )


def test_bad_toml_in_front_matter_gives_the_file_line(content_root):
    folder = write_module(content_root, "alpha")
    replace_line(folder / "module.md", "pass_mark", "pass_mark = = 80")

    problem = the_problem(content_root)

    assert problem.file == "modules/alpha/module.md"
    assert problem.field == "toml"
    assert problem.line == line_of(folder / "module.md", "pass_mark = =")
    assert "Invalid value" in problem.message


def test_bad_toml_in_quiz_gives_the_parser_line(content_root):
    folder = write_module(content_root, "alpha")
    replace_line(folder / "quiz.toml", 'prompt = "Which of these', 'prompt = "unclosed')

    problem = the_problem(content_root)

    assert problem.file == "modules/alpha/quiz.toml"
    assert problem.field == "toml"
    assert problem.line == line_of(folder / "quiz.toml", 'prompt = "unclosed')


def test_missing_front_matter(content_root):
    folder = write_module(content_root, "alpha")
    (folder / "module.md").write_text("# Alpha\n\ntitle = 'no front matter'\n")

    problem = the_problem(content_root)

    assert (problem.file, problem.line, problem.field) == (
        "modules/alpha/module.md",
        1,
        "front matter",
    )
    assert "+++" in problem.message


def test_missing_field(content_root):
    write_module(content_root, "alpha", summary=None)

    problem = the_problem(content_root)

    assert (problem.file, problem.field, problem.message) == (
        "modules/alpha/module.md",
        "summary",
        "is missing",
    )
    assert problem.line == 2  # the first line of the front matter


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("estimated_minutes", "twenty", "must be int"),
        ("required", "yes", "must be bool"),
        ("version", True, "must be int"),
        ("title", 12, "must be str"),
        ("tags", "security", "must be list"),
        ("prerequisites", [1, 2], "must be a list of text"),
    ],
)
def test_wrong_type(content_root, name, value, message):
    folder = write_module(content_root, "alpha", **{name: value})

    problem = the_problem(content_root)

    assert (problem.file, problem.field, problem.message) == (
        "modules/alpha/module.md",
        name,
        message,
    )
    assert problem.line == line_of(folder / "module.md", f"{name} =")


@pytest.mark.parametrize("pass_mark", [0, 101])
def test_out_of_range_pass_mark(content_root, pass_mark):
    folder = write_module(content_root, "alpha", pass_mark=pass_mark)

    problem = the_problem(content_root)

    assert (problem.file, problem.field) == ("modules/alpha/module.md", "pass_mark")
    assert problem.line == line_of(folder / "module.md", "pass_mark")
    assert problem.message == "must be from 1 to 100"


def test_in_range_edges_are_accepted(content_root):
    write_module(
        content_root, "alpha", pass_mark=1, cooldown_minutes=0, attempts_allowed=1
    )
    write_module(content_root, "beta", pass_mark=100)

    assert problems_in(content_root) == []


def test_unknown_field(content_root):
    folder = write_module(content_root, "alpha", passmark=80)

    problem = the_problem(content_root)

    assert (problem.file, problem.field, problem.message) == (
        "modules/alpha/module.md",
        "passmark",
        "is not a known field",
    )
    assert problem.line == line_of(folder / "module.md", "passmark")


def test_unknown_field_with_a_quoted_name_is_reported_not_raised(content_root):
    folder = write_module(content_root, "alpha")
    replace_line(folder / "module.md", "order", '"weird (name" = 1')

    problem = the_problem(content_root)

    assert (problem.field, problem.message) == ("weird (name", "is not a known field")


def test_unknown_prerequisite(content_root):
    folder = write_module(content_root, "alpha", prerequisites=["no-such-module"])

    problem = the_problem(content_root)

    assert (problem.file, problem.field) == ("modules/alpha/module.md", "prerequisites")
    assert problem.message == "unknown prerequisite 'no-such-module'"
    assert problem.line == line_of(folder / "module.md", "prerequisites")


def test_circular_prerequisites(content_root):
    write_module(content_root, "alpha", prerequisites=["gamma"])
    write_module(content_root, "beta", prerequisites=["alpha"])
    write_module(content_root, "gamma", prerequisites=["beta"])
    write_module(content_root, "delta", prerequisites=["alpha"])  # depends on, not in

    problems = problems_in(content_root)

    assert sorted((p.file, p.field) for p in problems) == [
        ("modules/alpha/module.md", "prerequisites"),
        ("modules/beta/module.md", "prerequisites"),
        ("modules/gamma/module.md", "prerequisites"),
    ]
    assert all("circle" in p.message for p in problems)
    assert all(p.line == 6 for p in problems)  # prerequisites is the 6th line


def test_a_module_cannot_require_itself(content_root):
    write_module(content_root, "alpha", prerequisites=["alpha"])

    problem = the_problem(content_root)

    assert (problem.field, problem.message) == (
        "prerequisites",
        "prerequisites go round in a circle",
    )


@pytest.mark.parametrize(
    "folder_name", ["Bad_Slug", "trailing-", "two--hyphens", "Caps"]
)
def test_bad_slug_folder_name(content_root, folder_name):
    write_module(content_root, folder_name)

    problem = the_problem(content_root)

    assert (problem.file, problem.line, problem.field) == (
        f"modules/{folder_name}",
        None,
        "slug",
    )
    assert "lowercase" in problem.message


def test_missing_quiz_file(content_root):
    folder = write_module(content_root, "alpha")
    (folder / "quiz.toml").unlink()

    problem = the_problem(content_root)

    assert (problem.file, problem.field, problem.message) == (
        "modules/alpha/quiz.toml",
        "file",
        "is missing",
    )


def test_quiz_without_questions(content_root):
    folder = write_module(content_root, "alpha")
    (folder / "quiz.toml").write_text("# nothing yet\n")

    problem = the_problem(content_root)

    assert (problem.file, problem.field) == ("modules/alpha/quiz.toml", "questions")


def quiz_problem(content_root, change, index=1):
    """Write a module whose question ``index`` is changed by ``change``."""
    questions = default_questions("alpha")
    change(questions[index])
    folder = write_module(content_root, "alpha", questions)
    problem = the_problem(content_root)
    assert problem.file == "modules/alpha/quiz.toml"
    return problem, folder / "quiz.toml"


def test_question_without_a_correct_answer(content_root):
    def no_correct(question):
        question["choices"][0].pop("correct")

    problem, quiz = quiz_problem(content_root, no_correct, index=0)

    assert problem.field == "questions[0].choices"
    assert problem.message == "no choice is marked correct"
    assert problem.line == line_of(quiz, 'id = "pick-one"')


def test_single_choice_with_two_correct(content_root):
    def two_correct(question):
        question["choices"][1]["correct"] = True

    problem, quiz = quiz_problem(content_root, two_correct, index=0)

    assert problem.field == "questions[0].choices"
    assert problem.message == "single choice has several correct"
    assert problem.line == line_of(quiz, 'id = "pick-one"')


def test_multiple_choice_with_every_choice_correct(content_root):
    def all_correct(question):
        for choice in question["choices"]:
            choice["correct"] = True

    problem, quiz = quiz_problem(content_root, all_correct, index=1)

    assert problem.field == "questions[1].choices"
    assert "every choice is correct" in problem.message
    assert problem.line == line_of(quiz, 'id = "pick-many"')


def test_duplicate_question_id_points_at_the_duplicate(content_root):
    def same_id(question):
        question["id"] = "pick-one"

    problem, quiz = quiz_problem(content_root, same_id, index=2)

    assert problem.field == "questions[2].id"
    assert problem.message == "duplicate id 'pick-one'"
    lines = [
        i
        for i, line in enumerate(quiz.read_text().splitlines(), 1)
        if line == 'id = "pick-one"'
    ]
    assert problem.line == lines[1], "the second question with that id, not the first"


def test_duplicate_choice_id(content_root):
    def same_choice(question):
        question["choices"][2]["id"] = "a"

    problem, quiz = quiz_problem(content_root, same_choice, index=1)

    assert problem.field == "questions[1].choices"
    assert problem.message == "duplicate choice id"
    assert problem.line == line_of(quiz, 'id = "pick-many"')


def test_bad_question_type(content_root):
    def essay(question):
        question["type"] = "essay"

    problem, quiz = quiz_problem(content_root, essay, index=3)

    assert problem.field == "questions[3].type"
    assert problem.message == "must be one of multiple, numeric, single, true_false"
    assert problem.line == line_of(quiz, 'id = "how-many"')


def test_numeric_question_without_a_number(content_root):
    def words(question):
        question["answer"] = "ninety"

    problem, quiz = quiz_problem(content_root, words, index=3)

    assert (problem.field, problem.message) == (
        "questions[3].answer",
        "must be a number",
    )
    assert problem.line == line_of(quiz, 'id = "how-many"')


def test_numeric_question_with_no_answer_at_all(content_root):
    problem, _ = quiz_problem(content_root, lambda q: q.pop("answer"), index=3)

    assert (problem.field, problem.message) == (
        "questions[3].answer",
        "must be a number",
    )


def test_true_false_question_without_a_bool(content_root):
    def text_answer(question):
        question["answer"] = "yes"

    problem, quiz = quiz_problem(content_root, text_answer, index=2)

    assert (problem.field, problem.message) == (
        "questions[2].answer",
        "must be true or false",
    )
    assert problem.line == line_of(quiz, 'id = "yes-or-no"')


def test_question_without_an_id_points_at_its_own_table(content_root):
    problem, quiz = quiz_problem(content_root, lambda q: q.pop("id"), index=2)

    assert problem.field == "questions[2].id"
    headers = [
        i
        for i, line in enumerate(quiz.read_text().splitlines(), 1)
        if line == "[[questions]]"
    ]
    assert problem.line == headers[2]


def test_negative_points_and_tolerance(content_root):
    questions = default_questions("alpha")
    questions[0]["points"] = 0
    questions[3]["tolerance"] = -1
    write_module(content_root, "alpha", questions)

    problems = problems_in(content_root)

    assert sorted(p.field for p in problems) == [
        "questions[0].points",
        "questions[3].tolerance",
    ]


def test_every_problem_in_every_module_is_reported_at_once(content_root):
    questions = default_questions("beta")
    questions[0]["type"] = "essay"
    questions[2]["answer"] = "yes"
    write_module(content_root, "alpha", pass_mark=0, colour="red")
    write_module(content_root, "beta", questions)
    write_module(content_root, "gamma")  # valid
    bad = write_module(content_root, "delta")
    (bad / "quiz.toml").write_text(quiz_text(default_questions()) + "oops =\n")

    problems = problems_in(content_root)

    assert sorted((p.file, p.field) for p in problems) == [
        ("modules/alpha/module.md", "colour"),
        ("modules/alpha/module.md", "pass_mark"),
        ("modules/beta/quiz.toml", "questions[0].type"),
        ("modules/beta/quiz.toml", "questions[2].answer"),
        ("modules/delta/quiz.toml", "toml"),
    ]


def test_missing_content_folder(tmp_path):
    sources, problems = read_content(tmp_path / "nowhere")

    assert sources == []
    assert [(p.field, p.message) for p in problems] == [("folder", "does not exist")]
