"""Syncing content into the database: idempotent, all or nothing, versioned."""

from collections import defaultdict, deque

import pytest
from sqlalchemy import func, select

from portal.config import PROJECT_ROOT
from portal.training import queries, services
from portal.training.content import read_content
from portal.training.models import Module, ModuleVersion, QuizAttempt
from portal.training.sync import ContentInvalid, sync_content
from tests.helpers import login_as
from tests.training.conftest import (
    NOW,
    default_questions,
    remove_module,
    row_counts,
    sync,
    take_quiz,
    write_module,
)

SHIPPED = PROJECT_ROOT / "content" / "modules"


def module_states(db):
    return sorted(
        db.session.execute(
            select(
                Module.slug,
                Module.current_version_id,
                Module.retired,
                Module.position,
                Module.required,
            )
        ).all()
    )


def run_cli(app, db, *args):
    db.session.commit()  # release the test's transaction (SQLite write lock)
    result = app.test_cli_runner().invoke(args=["content", "sync", *args])
    db.session.expire_all()
    return result


def test_first_sync_creates_each_module_with_its_first_version(db, content_root):
    write_module(
        content_root,
        "alpha",
        tags=["Design", " stride ", "design"],
        order=5,
        body="# Alpha\n\nRead **this** first.\n",
    )
    write_module(content_root, "beta", required=False, prerequisites=["alpha"])

    report = sync(content_root)

    assert sorted(report.created) == ["alpha", "beta"]
    assert report.new_versions == report.unchanged == report.retired == []
    alpha, beta = services.active_module("alpha"), services.active_module("beta")
    version = alpha.current_version
    assert (version.version, version.title, version.pass_mark) == (
        1,
        "Title of alpha",
        80,
    )
    assert (alpha.position, alpha.required, beta.required) == (5, True, False)
    assert version.tags == ["design", "stride"]
    assert beta.current_version.prerequisites == ["alpha"]
    assert "<strong>this</strong>" in version.body_html
    assert "<h1" not in version.body_html, "the page shows the title already"
    assert [q["id"] for q in version.questions] == [
        "pick-one",
        "pick-many",
        "yes-or-no",
        "how-many",
    ]


def test_second_sync_changes_nothing(db, content_root):
    write_module(content_root, "alpha")
    write_module(content_root, "beta", prerequisites=["alpha"])
    sync(content_root)
    before, states = row_counts(), module_states(db)

    report = sync(content_root)

    assert sorted(report.unchanged) == ["alpha", "beta"]
    assert report.created == report.new_versions == report.retired == []
    assert row_counts() == before
    assert module_states(db) == states


def test_one_broken_file_leaves_the_database_exactly_as_it_was(db, content_root):
    write_module(content_root, "alpha")
    write_module(content_root, "beta")
    write_module(content_root, "gone")
    sync(content_root)
    before, states = row_counts(), module_states(db)
    # A run that would create two modules, version one, retire one...
    write_module(content_root, "delta")
    write_module(content_root, "epsilon", prerequisites=["delta"])
    write_module(content_root, "alpha", version=2, title="Alpha, revised")
    remove_module(content_root, "gone")
    # ...and one mistake in one file.
    write_module(content_root, "zeta", pass_mark=0)

    with pytest.raises(ContentInvalid) as raised:
        sync_content(content_root)
    db.session.rollback()

    assert [str(p) for p in raised.value.problems] == [
        "modules/zeta/module.md:8: pass_mark: must be from 1 to 100"
    ]
    assert row_counts() == before
    assert module_states(db) == states
    assert services.active_module("gone") is not None
    assert services.active_module("alpha").current_version.title == "Title of alpha"


def test_dry_run_reports_but_changes_nothing(db, content_root):
    write_module(content_root, "alpha")
    sync(content_root)
    write_module(content_root, "beta")
    write_module(content_root, "alpha", version=2, summary="Changed.")
    before, states = row_counts(), module_states(db)

    report = sync_content(content_root, dry_run=True)
    db.session.commit()

    assert (report.created, report.new_versions) == (["beta"], ["alpha v2"])
    assert row_counts() == before
    assert module_states(db) == states


def test_cli_syncs_and_summarises(app, db, content_root):
    write_module(content_root, "alpha")
    write_module(content_root, "beta")

    result = run_cli(app, db, "--path", str(content_root))

    assert result.exit_code == 0, result.output
    assert "Synced: 2 new, 0 new version(s), 0 unchanged, 0 retired." in result.output
    assert db.session.scalar(select(func.count()).select_from(Module)) == 2

    again = run_cli(app, db, "--path", str(content_root))

    assert "Synced: 0 new, 0 new version(s), 2 unchanged, 0 retired." in again.output
    assert db.session.scalar(select(func.count()).select_from(ModuleVersion)) == 2


def test_cli_dry_run_changes_nothing(app, db, content_root):
    write_module(content_root, "alpha")
    before = row_counts()

    result = run_cli(app, db, "--dry-run", "--path", str(content_root))

    assert result.exit_code == 0, result.output
    assert "Would sync: 1 new" in result.output
    assert row_counts() == before


def test_cli_prints_every_problem_and_fails(app, db, content_root):
    write_module(content_root, "alpha")
    sync(content_root)
    write_module(content_root, "beta")  # valid and new
    write_module(content_root, "gamma", pass_mark=101, colour="red")
    questions = default_questions("delta")
    questions[2]["answer"] = "yes"
    write_module(content_root, "delta", questions)
    (content_root / "alpha" / "quiz.toml").unlink()
    before, states = row_counts(), module_states(db)

    result = run_cli(app, db, "--path", str(content_root))

    assert result.exit_code != 0
    expected = [
        "modules/alpha/quiz.toml: file: is missing",
        "modules/delta/quiz.toml:16: questions[2].answer: must be true or false",
        "modules/gamma/module.md:8: pass_mark: must be from 1 to 100",
        "modules/gamma/module.md:14: colour: is not a known field",
    ]
    for line in expected:
        assert line in result.stderr
    assert (
        "Content not synced: 4 problem(s); the database is unchanged." in result.output
    )
    assert row_counts() == before
    assert module_states(db) == states


def test_cli_dry_run_also_fails_on_problems(app, db, content_root):
    write_module(content_root, "alpha", prerequisites=["missing"])

    result = run_cli(app, db, "--dry-run", "--path", str(content_root))

    assert result.exit_code != 0
    assert (
        "modules/alpha/module.md:6: prerequisites: unknown prerequisite 'missing'"
        in result.stderr
    )


def test_a_changed_module_must_raise_its_version(db, content_root):
    write_module(content_root, "alpha")
    sync(content_root)
    before = row_counts()
    questions = default_questions("alpha")
    questions[0]["prompt"] = "Which gate is the right one?"
    write_module(content_root, "alpha", questions)  # still version 1

    with pytest.raises(ContentInvalid) as raised:
        sync_content(content_root)
    db.session.rollback()

    (problem,) = raised.value.problems
    assert str(problem) == (
        "modules/alpha/module.md:4: version: the module changed but its version is "
        "still 1; raise it to 2"
    )
    assert row_counts() == before


def test_a_lower_version_is_refused_too(db, content_root):
    write_module(content_root, "alpha", version=3)
    sync(content_root)
    write_module(content_root, "alpha", version=2, title="Older?")

    with pytest.raises(ContentInvalid, match="raise it to 4"):
        sync_content(content_root)
    db.session.rollback()


def test_raising_the_version_keeps_old_attempts_on_their_own_questions(
    app, db, client, engineer, content_root
):
    write_module(content_root, "alpha")
    sync(content_root)
    module = services.active_module("alpha")
    first_version_id = module.current_version_id
    old_attempt = take_quiz(engineer, module, NOW, answers="wrong")
    questions = default_questions("alpha")
    questions[0]["prompt"] = "Which gate is the right one?"
    write_module(content_root, "alpha", questions, version=2)

    report = sync(content_root)

    assert report.new_versions == ["alpha v2"]
    module = services.active_module("alpha")
    assert module.current_version.version == 2
    assert module.current_version_id != first_version_id
    versions = db.session.scalars(
        select(ModuleVersion.version).where(ModuleVersion.module_id == module.id)
    ).all()
    assert sorted(versions) == [1, 2]
    assert db.session.get(QuizAttempt, old_attempt.id).module_version_id == (
        first_version_id
    )

    login_as(client, engineer)
    page = client.get(f"/training/attempts/{old_attempt.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Which door is the right one?" in html
    assert "Which gate is the right one?" not in html
    assert "(version 1)" in html
    # The new version's quiz is open: attempts count per version.
    assert services.standing(engineer, module, NOW).attempts == []


def test_a_removed_module_is_retired_and_hidden(
    app, db, client, engineer, content_root
):
    write_module(content_root, "alpha", title="Alpha module")
    write_module(content_root, "beta", title="Beta module")
    sync(content_root)
    remove_module(content_root, "beta")

    report = sync(content_root)

    assert report.retired == ["beta"]
    assert db.session.scalar(select(Module).where(Module.slug == "beta")).retired
    login_as(client, engineer)
    html = client.get("/training").get_data(as_text=True)
    assert "Alpha module" in html
    assert "Beta module" not in html
    assert client.get("/training/modules/beta").status_code == 404
    # Retiring is done once.
    assert sync(content_root).retired == []


def test_a_restored_module_folder_is_shown_again(
    app, db, client, engineer, content_root
):
    write_module(content_root, "alpha", title="Alpha module")
    write_module(content_root, "beta", title="Beta module")
    sync(content_root)
    remove_module(content_root, "beta")
    sync(content_root)
    write_module(content_root, "beta", title="Beta module")  # the same files again

    sync(content_root)

    assert services.active_module("beta") is not None
    login_as(client, engineer)
    assert "Beta module" in client.get("/training").get_data(as_text=True)


def test_the_shipped_curriculum_is_valid_and_complete(db):
    sources, problems = read_content(SHIPPED)
    assert [str(p) for p in problems] == []

    report = sync(SHIPPED)

    modules = {m.slug: m for m in db.session.scalars(select(Module))}
    assert len(modules) >= 12
    assert sum(len(m.current_version.questions) for m in modules.values()) >= 150
    assert sorted(report.created) == sorted(modules)
    for slug, module in modules.items():
        version = module.current_version
        assert len(version.questions) >= 12, slug
        # A pool at least half as large again as an attempt, so retakes differ.
        assert version.questions_per_attempt is not None, slug
        assert len(version.questions) >= 1.5 * version.questions_per_attempt, slug
        assert version.objectives, slug
        named = {q["objective"] for q in version.questions}
        assert named == set(version.objectives), slug
        if module.required:
            assert version.competency, slug
        assert {q["type"] for q in version.questions} <= {
            "single",
            "multiple",
            "true_false",
            "numeric",
        }
        assert 1 <= version.pass_mark <= 100 and version.attempts_allowed >= 1
    required = {slug for slug, m in modules.items() if m.required}
    electives = set(modules) - required
    assert required and electives, "a curriculum with required modules and electives"
    for slug in required:
        # Certification needs only required modules, so they cannot depend on electives.
        assert set(modules[slug].current_version.prerequisites) <= required, slug
    assert _study_order(modules) is not None, "every prerequisite can be met"


def _study_order(modules):
    """An order passing each module after its prerequisites, or None (Kahn)."""
    waiting = {s: set(m.current_version.prerequisites) for s, m in modules.items()}
    assert all(p in modules for needs in waiting.values() for p in needs)
    unlocks = defaultdict(list)
    for slug, needs in waiting.items():
        for need in needs:
            unlocks[need].append(slug)
    ready = deque(sorted(s for s, needs in waiting.items() if not needs))
    order = []
    while ready:
        slug = ready.popleft()
        order.append(slug)
        for other in unlocks[slug]:
            waiting[other].discard(slug)
            if not waiting[other]:
                ready.append(other)
    return order if len(order) == len(modules) else None


def test_the_shipped_curriculum_certifies_without_electives(db, engineer):
    sync(SHIPPED)
    modules = {m.slug: m for m in db.session.scalars(select(Module))}
    required = {s: m for s, m in modules.items() if m.required}

    for slug in _study_order(required):
        attempt = take_quiz(engineer, services.active_module(slug), NOW)
        assert attempt.passed and attempt.score == 100.0, slug

    certificate = queries.latest_certificate(engineer.id)
    assert certificate is not None
    assert sorted(m["slug"] for m in certificate.modules) == sorted(required)
