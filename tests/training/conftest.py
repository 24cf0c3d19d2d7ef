"""Training fixtures: small modules written in the documented file format
(content/README.md) into temporary folders, then synced for real."""

import json
import re
import shutil
from datetime import UTC, datetime
from html import unescape

import pytest

from portal.extensions import db as _db
from portal.training import services
from portal.training.grading import correct_response
from portal.training.sync import sync_content
from tests.helpers import row_counts  # noqa: F401 (re-exported)

NOW = datetime(2030, 3, 4, 9, 0, tzinfo=UTC)

DEFAULT_META = {
    "title": "Module",
    "summary": "A short module for tests.",
    "version": 1,
    "estimated_minutes": 20,
    "prerequisites": [],
    "required": True,
    "pass_mark": 80,
    "attempts_allowed": 3,
    "cooldown_minutes": 0,
    "tags": ["basics"],
    "order": 10,
    "competency": "Do what the module teaches.",
}


def toml_value(value):
    """A Python value as TOML (strings as JSON strings, which TOML accepts)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"


def module_text(meta, body="# Heading\n\nSome text to read.\n"):
    lines = [f"{name} = {toml_value(value)}" for name, value in meta.items()]
    return "+++\n" + "\n".join(lines) + "\n+++\n\n" + body


def quiz_text(questions):
    blocks = []
    for question in questions:
        lines = ["[[questions]]"]
        lines += [f"{name} = {toml_value(value)}" for name, value in question.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def default_questions(slug="module"):
    """One question of each type, with explanations no page could contain by chance."""
    return [
        {
            "id": "pick-one",
            "type": "single",
            "prompt": "Which door is the right one?",
            "explanation": f"EXPLAIN-{slug}-pick-one",
            "choices": [
                {"id": "a", "text": "The red door", "correct": True},
                {"id": "b", "text": "The blue door"},
                {"id": "c", "text": "The green door"},
            ],
        },
        {
            "id": "pick-many",
            "type": "multiple",
            "prompt": "Which of these are fruit?",
            "explanation": f"EXPLAIN-{slug}-pick-many",
            "choices": [
                {"id": "a", "text": "Apple", "correct": True},
                {"id": "b", "text": "Pear", "correct": True},
                {"id": "c", "text": "Plum", "correct": True},
                {"id": "d", "text": "Carrot"},
                {"id": "e", "text": "Potato"},
            ],
        },
        {
            "id": "yes-or-no",
            "type": "true_false",
            "prompt": "The sky is usually blue on a clear day.",
            "explanation": f"EXPLAIN-{slug}-yes-or-no",
            "answer": True,
        },
        {
            "id": "how-many",
            "type": "numeric",
            "prompt": "Type the magic number.",
            "explanation": f"EXPLAIN-{slug}-how-many",
            "answer": 4817.25,
            "tolerance": 0.5,
        },
    ]


def write_module(root, slug, questions=None, body=None, **meta):
    """Write content/modules/<slug>/ (module.md + quiz.toml); returns the folder."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    values = {**DEFAULT_META, "title": f"Title of {slug}", **meta}
    values = {name: value for name, value in values.items() if value is not None}
    text = module_text(values) if body is None else module_text(values, body)
    (folder / "module.md").write_text(text, encoding="utf-8")
    (folder / "quiz.toml").write_text(
        quiz_text(questions if questions is not None else default_questions(slug)),
        encoding="utf-8",
    )
    return folder


def remove_module(root, slug):
    shutil.rmtree(root / slug)


def sync(root, **options):
    report = sync_content(root, **options)
    _db.session.commit()
    return report


def correct_answers(version):
    """The right answer to every question of the pool (an attempt asks some)."""
    return {q["id"]: correct_response(q) for q in version.questions}


def wrong_answers(version):
    """Answers earning no credit on any question of ``version``'s pool."""
    wrong = {}
    for question in version.questions:
        if question["type"] in {"single", "multiple"}:
            wrong[question["id"]] = [
                next(c["id"] for c in question["choices"] if not c["correct"])
            ]
        elif question["type"] == "true_false":
            wrong[question["id"]] = ["false" if question["answer"] else "true"]
        else:
            wrong[question["id"]] = [str(question["answer"] + 1000)]
    return wrong


def take_quiz(user, module, now, answers="correct", **options):
    """Start and submit one attempt through the services; commits."""
    attempt = services.start_attempt(user, module, now, **options)
    version = attempt.module_version
    responses = answers
    if answers == "correct":
        responses = correct_answers(version)
    elif answers == "wrong":
        responses = wrong_answers(version)
    services.submit_attempt(user, attempt, responses, now)
    _db.session.commit()
    return attempt


@pytest.fixture
def content_root(tmp_path):
    root = tmp_path / "modules"
    root.mkdir()
    return root


@pytest.fixture
def make_module(db, content_root):
    """Write one module (defaults above, overridden by keywords), sync, return it."""

    def make(slug, questions=None, **meta):
        write_module(content_root, slug, questions, **meta)
        sync(content_root)
        return services.active_module(slug)

    return make


def quiz_form_data(attempt, responses):
    """The quiz form's fields for ``responses`` (content answers by question id).

    Field names and choice values are the attempt's tokens, as the page shows.
    """
    data = {}
    for entry in attempt.layout:
        answer = responses.get(entry["q"], [])
        if entry["c"]:
            token_of = {choice_id: token for token, choice_id in entry["c"]}
            values = [token_of[a] for a in answer]
        else:
            values = list(answer)
        question = attempt.module_version.question(entry["q"])
        data[entry["f"]] = values if question["type"] == "multiple" else values[0]
    return data


PROMPT = re.compile(
    r'<div id="([^"]+)-prompt" class="quiz-prompt[^"]*"><span>\d+\.</span>(.*?)</div>',
    re.DOTALL,
)
OPTION = re.compile(
    r'<input class="form-check-input"[^>]*? name="([^"]+)"[^>]*? value="([^"]*)">'
    r'\s*<label class="form-check-label" for="[^"]*">([^<]*)</label>'
)


def quiz_page(html):
    """The questions of a quiz page as a reader sees them, in page order:
    ``[{"name", "prompt", "options": [(value, label), ...]}]`` (no options for
    a number)."""
    options = {}
    for name, value, label in OPTION.findall(html):
        options.setdefault(name, []).append((value, unescape(label).strip()))
    fields = []
    for field_id, prompt_html in PROMPT.findall(html):
        prompt = unescape(re.sub(r"<[^>]+>", "", prompt_html)).strip()
        fields.append(
            {"name": field_id, "prompt": prompt, "options": options.get(field_id, [])}
        )
    return fields
