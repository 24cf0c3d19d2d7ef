"""Load modules from content/ into the database: all of them, or none."""

from dataclasses import dataclass, field

from sqlalchemy import select

from portal.extensions import db
from portal.rendering import render_trusted_markdown
from portal.training.content import ContentProblem, read_content
from portal.training.models import Module, ModuleVersion


class ContentInvalid(Exception):
    def __init__(self, problems):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class SyncReport:
    created: list = field(default_factory=list)
    new_versions: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    retired: list = field(default_factory=list)


def _without_title_heading(body):
    """The page shows the title; a leading "# Title" line would repeat it."""
    lines = body.lstrip("\n").split("\n")
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines)


def _new_version(module, source):
    meta = source.meta
    return ModuleVersion(
        module=module,
        version=meta["version"],
        content_hash=source.content_hash,
        title=meta["title"].strip(),
        summary=meta["summary"].strip(),
        estimated_minutes=meta["estimated_minutes"],
        prerequisites=meta["prerequisites"],
        required=meta["required"],
        pass_mark=meta["pass_mark"],
        attempts_allowed=meta["attempts_allowed"],
        cooldown_minutes=meta["cooldown_minutes"],
        tags=sorted({t.strip().lower() for t in meta["tags"] if t.strip()}),
        body_html=render_trusted_markdown(_without_title_heading(source.body)),
        questions=[
            {**question, "prompt_html": render_trusted_markdown(question["prompt"])}
            for question in source.questions
        ],
        questions_per_attempt=meta["questions_per_attempt"],
        review_after_failure=meta["review_after_failure"],
        review_after_pass=meta["review_after_pass"],
        competency=meta["competency"].strip(),
        objectives={key: text.strip() for key, text in meta["objectives"].items()},
    )


def _plan(source, module, problems):
    """'create', 'new_version' or 'unchanged'; a changed module raises its version."""
    if module is None:
        return "create"
    current = module.current_version
    if current.content_hash == source.content_hash:
        return "unchanged"
    if source.meta["version"] <= current.version:
        problems.append(
            ContentProblem(
                source.files["module"],
                source.lines.get("version"),
                "version",
                "the module changed but its version is still "
                f"{source.meta['version']}; "
                f"raise it to {current.version + 1}",
            )
        )
    return "new_version"


def sync_content(root, *, dry_run=False):
    """Validate every module under ``root`` and upsert them by slug.

    Raises ContentInvalid listing every problem, before writing anything. The
    caller commits (or, for a dry run, rolls back).
    """
    sources, problems = read_content(root)
    modules = {m.slug: m for m in db.session.scalars(select(Module))}
    plans = {s.slug: _plan(s, modules.get(s.slug), problems) for s in sources}
    if problems:
        raise ContentInvalid(problems)
    report = SyncReport()
    for source in sources:
        plan, module = plans[source.slug], modules.get(source.slug)
        if plan == "unchanged":
            report.unchanged.append(source.slug)
            module.retired = False  # its folder may have come back after a removal
            continue
        if module is None:
            module = Module(slug=source.slug)
            db.session.add(module)
            report.created.append(source.slug)
        else:
            report.new_versions.append(f"{source.slug} v{source.meta['version']}")
        version = _new_version(module, source)
        db.session.add(version)
        db.session.flush()
        module.current_version = version
        module.position, module.required, module.retired = (
            source.meta["order"],
            source.meta["required"],
            False,
        )
    for slug, module in modules.items():
        if slug not in plans and not module.retired:
            module.retired = True
            report.retired.append(slug)
    db.session.flush()
    if dry_run:
        db.session.rollback()
    return report
