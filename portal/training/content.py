"""Read and validate training modules from content/modules/<slug>/.

Every problem is collected, each naming the file, the line when known, and the
field, so an author can fix them all in one pass. See content/README.md.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass, field

from portal.training.content_checks import check_curriculum, check_module
from portal.training.quiz import REVIEW_LEVELS

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
QUESTION_TYPES = {"single", "multiple", "true_false", "numeric"}
QUESTION_FIELDS = {
    "id", "type", "prompt", "explanation", "choices", "answer", "tolerance",
    "points", "objective", "recall",
}  # fmt: skip
FRONT_MATTER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n?(.*)\Z", re.DOTALL)
TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")
QUESTION_HEADER = re.compile(r"^\[\[questions\]\]", re.MULTILINE)

MODULE_FIELDS = {
    "title": str, "summary": str, "version": int, "estimated_minutes": int,
    "prerequisites": list, "required": bool, "pass_mark": int,
    "attempts_allowed": int, "cooldown_minutes": int, "tags": list, "order": int,
    "questions_per_attempt": int, "review_after_failure": str,
    "review_after_pass": str, "competency": str, "objectives": dict,
}  # fmt: skip
OPTIONAL_DEFAULTS = {
    "prerequisites": [], "tags": [], "order": 100, "questions_per_attempt": None,
    "review_after_failure": "explanations", "review_after_pass": "answers",
    "competency": "", "objectives": {},
}  # fmt: skip


@dataclass
class ContentProblem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


@dataclass
class ModuleSource:
    slug: str
    meta: dict
    body: str
    questions: list
    content_hash: str
    files: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)


def _line_of(text, pattern, offset=0):
    """The 1-based line of the first match of ``pattern`` in ``text``, if any."""
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 + offset if match else None


def _field_line(front_matter, name):
    """The line of ``name = ...`` in module.md (its front matter starts on line 2)."""
    return _line_of(front_matter, rf"^{re.escape(name)}\s*=", offset=1)


def _question_line(text, index):
    """The line of the ``index``-th question's id, else of its [[questions]] header."""
    headers = [m.start() for m in QUESTION_HEADER.finditer(text)]
    if index >= len(headers):
        return None
    end = headers[index + 1] if index + 1 < len(headers) else len(text)
    found = re.compile(r"^id\s*=", re.MULTILINE).search(text, headers[index], end)
    return text.count("\n", 0, found.start() if found else headers[index]) + 1


def _read_toml(text, file, problems, line_offset=0):
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = TOML_POSITION.search(str(error))
        line = int(position.group(1)) + line_offset if position else None
        problems.append(ContentProblem(file, line, "toml", str(error)))
        return None


def _check_meta(meta, text, file, problems):
    for name, kind in MODULE_FIELDS.items():
        if name not in meta:
            if name in OPTIONAL_DEFAULTS:
                default = OPTIONAL_DEFAULTS[name]
                meta[name] = type(default)(default) if default is not None else None
                continue
            problems.append(ContentProblem(file, 2, name, "is missing"))
            continue
        value = meta[name]
        line = _field_line(text, name)
        wrong_type = not isinstance(value, kind) or (
            kind is int and isinstance(value, bool)
        )
        if wrong_type:
            problems.append(
                ContentProblem(file, line, name, f"must be {kind.__name__}")
            )
        elif kind is list and not all(isinstance(item, str) for item in value):
            problems.append(ContentProblem(file, line, name, "must be a list of text"))
        elif kind is dict and not all(
            SLUG.match(key) and isinstance(text, str) and text.strip()
            for key, text in value.items()
        ):
            problems.append(
                ContentProblem(
                    file, line, name, "must map ids like 'stride' to a sentence"
                )
            )
    for name in set(meta) - set(MODULE_FIELDS):
        line = _field_line(text, name)
        problems.append(ContentProblem(file, line, name, "is not a known field"))
    ranges = {
        "version": (1, None),
        "estimated_minutes": (1, 1000),
        "pass_mark": (1, 100),
        "attempts_allowed": (1, 100),
        "cooldown_minutes": (0, 60 * 24 * 30),
    }
    for name, (low, high) in ranges.items():
        value = meta.get(name)
        if isinstance(value, int) and (
            value < low or (high is not None and value > high)
        ):
            line = _field_line(text, name)
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            problems.append(ContentProblem(file, line, name, f"must be {bound}"))
    for name in ("review_after_failure", "review_after_pass"):
        if isinstance(meta.get(name), str) and meta[name] not in REVIEW_LEVELS:
            problems.append(
                ContentProblem(
                    file,
                    _field_line(text, name),
                    name,
                    f"must be one of {', '.join(REVIEW_LEVELS)}",
                )
            )
    if meta.get("required") is True and not str(meta.get("competency", "")).strip():
        problems.append(
            ContentProblem(
                file,
                _field_line(text, "required"),
                "competency",
                "a required module states what passing it shows a Guardian can do",
            )
        )


def _check_choices(question, where, label, problems):
    name = f"{label}.choices"
    choices = question.get("choices")
    if not isinstance(choices, list) or len(choices) < 2:
        problems.append(ContentProblem(*where, name, "needs at least two choices"))
        return
    ids = [c.get("id") for c in choices if isinstance(c, dict)]
    if len(ids) != len(choices) or not all(isinstance(i, str) and i for i in ids):
        problems.append(
            ContentProblem(*where, name, "every choice needs an id and text")
        )
        return
    if len(set(ids)) != len(ids):
        problems.append(ContentProblem(*where, name, "duplicate choice id"))
    if not all(isinstance(c.get("text"), str) and c["text"].strip() for c in choices):
        problems.append(ContentProblem(*where, name, "every choice needs text"))
    correct = sum(1 for c in choices if c.get("correct") is True)
    if correct == 0:
        problems.append(ContentProblem(*where, name, "no choice is marked correct"))
    if question["type"] == "single" and correct > 1:
        problems.append(
            ContentProblem(*where, name, "single choice has several correct")
        )
    if question["type"] == "multiple" and correct == len(choices):
        problems.append(
            ContentProblem(*where, name, "every choice is correct; add a wrong one")
        )


def _check_question(question, index, text, file, seen, problems):
    qid = question.get("id")
    where = (file, _question_line(text, index))
    label = f"questions[{index}]"
    if not isinstance(qid, str) or not SLUG.match(qid):
        problems.append(
            ContentProblem(*where, f"{label}.id", "needs an id like 'stride-s'")
        )
    elif qid in seen:
        problems.append(ContentProblem(*where, f"{label}.id", f"duplicate id '{qid}'"))
    seen.add(qid)
    for name in ("prompt", "explanation"):
        if not isinstance(question.get(name), str) or not question[name].strip():
            problems.append(ContentProblem(*where, f"{label}.{name}", "is missing"))
    qtype = question.get("type")
    if qtype not in QUESTION_TYPES:
        problems.append(
            ContentProblem(
                *where,
                f"{label}.type",
                f"must be one of {', '.join(sorted(QUESTION_TYPES))}",
            )
        )
        return
    if qtype in {"single", "multiple"}:
        _check_choices(question, where, label, problems)
    elif qtype == "true_false" and not isinstance(question.get("answer"), bool):
        problems.append(
            ContentProblem(*where, f"{label}.answer", "must be true or false")
        )
    elif qtype == "numeric":
        answer, tolerance = question.get("answer"), question.get("tolerance", 0)
        if not isinstance(answer, int | float) or isinstance(answer, bool):
            problems.append(
                ContentProblem(*where, f"{label}.answer", "must be a number")
            )
        if not isinstance(tolerance, int | float) or tolerance < 0:
            problems.append(
                ContentProblem(*where, f"{label}.tolerance", "must be a number >= 0")
            )
    points = question.get("points", 1)
    if not isinstance(points, int | float) or isinstance(points, bool) or points <= 0:
        problems.append(
            ContentProblem(*where, f"{label}.points", "must be a positive number")
        )
    if not isinstance(question.get("recall", False), bool):
        problems.append(
            ContentProblem(*where, f"{label}.recall", "must be true or false")
        )
    for name in sorted(set(question) - QUESTION_FIELDS):
        problems.append(
            ContentProblem(*where, f"{label}.{name}", "is not a known field")
        )


def _normalise_question(question):
    normal = {
        "id": question["id"],
        "type": question["type"],
        "prompt": question["prompt"].strip(),
        "explanation": question["explanation"].strip(),
        "points": question.get("points", 1),
        "objective": question.get("objective"),
        "recall": question.get("recall", False),
    }
    if question["type"] in {"single", "multiple"}:
        normal["choices"] = [
            {
                "id": c["id"],
                "text": c["text"].strip(),
                "correct": c.get("correct") is True,
            }
            for c in question["choices"]
        ]
    else:
        normal["answer"] = question["answer"]
        if question["type"] == "numeric":
            normal["tolerance"] = question.get("tolerance", 0)
    return normal


def read_module(folder, root, problems):
    """Parse one module folder; returns a ModuleSource or None (problems appended)."""
    slug = folder.name
    module_file, quiz_file = folder / "module.md", folder / "quiz.toml"
    rel = lambda path: str(path.relative_to(root.parent))  # noqa: E731
    if not SLUG.match(slug):
        problems.append(
            ContentProblem(
                rel(folder),
                None,
                "slug",
                "folder names are lowercase words joined by hyphens",
            )
        )
        return None
    missing = [path for path in (module_file, quiz_file) if not path.is_file()]
    for path in missing:
        problems.append(ContentProblem(rel(path), None, "file", "is missing"))
    if missing:
        return None
    text, quiz_text = (
        module_file.read_text(encoding="utf-8"),
        quiz_file.read_text(encoding="utf-8"),
    )
    match = FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        problems.append(
            ContentProblem(
                rel(module_file),
                1,
                "front matter",
                "must start with a +++ line and end with another",
            )
        )
        return None
    meta = _read_toml(match.group(1), rel(module_file), problems, line_offset=1)
    quiz = _read_toml(quiz_text, rel(quiz_file), problems)
    if meta is None or quiz is None:
        return None
    before = len(problems)
    _check_meta(meta, match.group(1), rel(module_file), problems)
    questions = quiz.get("questions")
    if not isinstance(questions, list) or not questions:
        problems.append(
            ContentProblem(rel(quiz_file), None, "questions", "needs [[questions]]")
        )
        questions = []
    seen = set()
    for index, question in enumerate(questions):
        _check_question(question, index, quiz_text, rel(quiz_file), seen, problems)
    if len(problems) > before:
        return None
    digest = hashlib.sha256(text.encode() + b"\0" + quiz_text.encode()).hexdigest()
    source = ModuleSource(
        slug=slug,
        meta=meta,
        body=match.group(2),
        content_hash=digest,
        questions=[_normalise_question(q) for q in questions],
        files={"module": rel(module_file), "quiz": rel(quiz_file)},
        lines={
            **{
                name: _field_line(match.group(1), name)
                for name in ("version", "prerequisites", "questions_per_attempt")
            },
            "objectives": _line_of(match.group(1), r"^\[objectives\]", offset=1),
            "questions": [_question_line(quiz_text, i) for i in range(len(questions))],
        },
    )
    problems.extend(ContentProblem(*found) for found in check_module(source))
    return source if len(problems) == before else None


def _check_prerequisites(sources, problems):
    known = {source.slug for source in sources}
    graph = {s.slug: s.meta["prerequisites"] for s in sources}
    for source in sources:
        where = (
            source.files["module"],
            source.lines.get("prerequisites"),
            "prerequisites",
        )
        for prerequisite in source.meta["prerequisites"]:
            if prerequisite not in known:
                problems.append(
                    ContentProblem(*where, f"unknown prerequisite '{prerequisite}'")
                )
        if _reaches(graph, source.slug, source.slug, set()):
            problems.append(
                ContentProblem(*where, "prerequisites go round in a circle")
            )


def _reaches(graph, start, target, seen):
    for nxt in graph.get(start, []):
        if nxt == target:
            return True
        if nxt not in seen:
            seen.add(nxt)
            if _reaches(graph, nxt, target, seen):
                return True
    return False


def read_content(root):
    """Every module under ``root`` (content/modules) and the problems found."""
    problems, sources = [], []
    if not root.is_dir():
        return [], [ContentProblem(str(root), None, "folder", "does not exist")]
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        source = read_module(folder, root, problems)
        if source is not None:
            sources.append(source)
    _check_prerequisites(sources, problems)
    problems.extend(ContentProblem(*found) for found in check_curriculum(sources))
    return sources, problems
