"""Training pages run a fixed number of SQL statements, however many modules."""

from datetime import timedelta

import pytest

from portal.training import services
from portal.training.models import ModuleDueDate
from tests.helpers import counting_statements, login_as
from tests.training.conftest import NOW, sync, take_quiz, write_module


class Curriculum:
    """Adds modules one after another, each with the person's data in it:
    prerequisites, attempts, progress and a due date."""

    def __init__(self, db, root, person):
        self.db, self.root, self.person, self.count = db, root, person, 0

    def grow(self, by):
        for _ in range(by):
            self.count += 1
            slug = f"module-{self.count:02}"
            # Per three modules: one passed, one failed after it, one locked.
            previous = f"module-{self.count - 1:02}"
            prerequisites = [] if self.count % 3 == 1 else [previous]
            write_module(
                self.root,
                slug,
                prerequisites=prerequisites,
                order=self.count,
                tags=[f"tag-{self.count}"],
                required=self.count % 2 == 0,
            )
            sync(self.root)
            module = services.active_module(slug)
            self.db.session.add(
                ModuleDueDate(
                    user_id=self.person.id,
                    module_id=module.id,
                    due_on=NOW.date() + timedelta(days=3),
                )
            )
            self.db.session.commit()
            if self.count % 3 == 1:
                take_quiz(self.person, module, NOW)  # passed: the next one unlocks
            elif self.count % 3 == 2:
                take_quiz(self.person, module, NOW, answers="wrong")


def statements_for(app, db, person, url):
    """The SQL statements one GET of ``url`` runs, and the page."""
    client = app.test_client()
    login_as(client, person)
    db.session.remove()  # an empty identity map, as a new request would have
    with counting_statements(db.engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("url", "role", "lists_all"),
    [
        ("/training", None, True),
        ("/training?kind=required&tag=tag-2", None, False),
        ("/training/progress", None, True),
        ("/training/stats", "program_manager", True),
        ("/training/stats/module-02", "program_manager", False),
    ],
)
def test_pages_do_not_run_more_queries_with_more_modules(
    app, db, make_user, content_root, url, role, lists_all
):
    person = make_user(roles=[role] if role else [])
    person_id = person.id
    curriculum = Curriculum(db, content_root, person)

    curriculum.grow(3)
    small, _ = statements_for(app, db, person, url)
    curriculum.person = db.session.get(type(person), person_id)
    curriculum.grow(6)
    large, html = statements_for(app, db, db.session.get(type(person), person_id), url)

    assert large == small
    assert ("Title of module-09" in html) is lists_all
