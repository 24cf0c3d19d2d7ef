"""`flask accounts import` and `flask users create-admin`, through the CLI runner."""

from sqlalchemy import func, select

from portal.accounts.models import Org, Role, RoleGrant, Seniority, Team, User
from portal.audit.models import AuditEvent
from portal.auth.passwords import verify_password

HEADER = "email,display_name,org,team,location,seniority,roles\n"

GOOD_FILE = HEADER + (
    "Alice@Example.com,Alice Anders,Payments,Checkout,Dublin,Senior,program_manager\n"
    "bob@example.com,Bob Brown,Payments,Checkout,,mid,\n"
    ",,Platform,Infra,,,\n"
    "carol@example.com,Carol Chen,,,Remote,,admin\n"
)


def run_import(app, tmp_path, content, name="people.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return app.test_cli_runner().invoke(args=["accounts", "import", str(path)])


def count(db, model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def user(db, email):
    return db.session.scalar(select(User).where(User.email == email))


def test_good_file_creates_people_teams_orgs_and_roles(app, db, tmp_path):
    result = run_import(app, tmp_path, GOOD_FILE)

    assert result.exit_code == 0, result.output
    assert (
        "Imported: 3 people created, 0 updated, 2 teams created, 2 roles granted."
        in result.output
    )
    alice = user(db, "alice@example.com")
    assert alice.display_name == "Alice Anders"
    assert alice.team.full_name == "Payments / Checkout"
    assert alice.location == "Dublin"
    assert alice.seniority is Seniority.SENIOR
    assert alice.roles == {Role.PROGRAM_MANAGER}
    assert alice.password_hash is None, "imported people set a password by reset"
    assert user(db, "bob@example.com").team_id == alice.team_id
    assert user(db, "carol@example.com").roles == {Role.ADMIN}
    assert sorted(db.session.scalars(select(Org.name))) == ["Payments", "Platform"]
    assert sorted(db.session.scalars(select(Team.name))) == ["Checkout", "Infra"]
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "accounts.import")
    ).all()
    assert event.actor_id is None
    assert event.details == {
        "users_created": 3,
        "users_updated": 0,
        "teams_created": 2,
        "roles_granted": 2,
    }
    grants = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "role.grant")
    )
    assert grants == 2


def test_file_with_errors_imports_nothing_and_names_each_problem(app, db, tmp_path):
    content = HEADER + (
        "good@example.com,Good Person,Payments,Checkout,,,\n"  # line 2: fine
        "not-an-email,Bad Email,,,,,\n"  # line 3
        "dup@example.com,First Dup,,,,,\n"  # line 4: fine on its own
        "DUP@example.com,Second Dup,,,,,\n"  # line 5
        "role@example.com,Role Person,,,,,overlord\n"  # line 6
        "senior@example.com,Senior Person,,,,wizard,\n"  # line 7
        "orgonly@example.com,Org Only,Payments,,,,\n"  # line 8
        "outsider@gmail.com,Outsider,,,,,\n"  # line 9
    )

    result = run_import(app, tmp_path, content)

    assert result.exit_code == 1
    output = result.output
    expected = [
        "line 3, column email:",
        "line 5, column email: already given on line 4",
        "line 6, column roles: 'overlord' is not one of",
        "line 7, column seniority: 'wizard' is not one of",
        "line 8, column team: org and team go together",
        "line 9, column email: domain is not allowed",
    ]
    for problem in expected:
        assert problem in output, f"missing: {problem}"
    assert "line 2" not in output and "line 4," not in output
    assert "people.csv: line 3" in output, "each problem names the file"
    assert "Nothing was imported: 6 problem(s) to fix." in output
    for model in (User, Team, Org, RoleGrant, AuditEvent):
        assert count(db, model) == 0, f"{model.__name__} rows were written"


def test_missing_required_column_is_reported(app, db, tmp_path):
    result = run_import(
        app, tmp_path, "email,team,colour\nx@example.com,Checkout,red\n"
    )

    assert result.exit_code == 1
    assert "line 1, column display_name: column is missing" in result.output
    assert "line 1, column colour: column is not known" in result.output
    assert count(db, User) == 0


def test_team_without_org_is_reported(app, db, tmp_path):
    result = run_import(app, tmp_path, HEADER + "t@example.com,Tea,,Checkout,,,\n")

    assert result.exit_code == 1
    assert "line 2, column org: org and team go together" in result.output
    assert count(db, Team) == 0


def test_reimport_updates_existing_people_and_keeps_their_roles(
    app, db, tmp_path, make_user, make_team, make_org
):
    existing = make_user(
        email="alice@example.com",
        name="Old Alice",
        roles=["program_manager"],
        location="Cork",
    )
    old_hash = existing.password_hash
    payments = make_org(name="Payments")
    make_team(name="Checkout", org=payments)

    first = run_import(app, tmp_path, GOOD_FILE)
    second = run_import(app, tmp_path, GOOD_FILE.replace("Dublin", "Berlin"))

    assert first.exit_code == 0, first.output
    assert "2 people created, 1 updated, 1 teams created" in first.output
    assert second.exit_code == 0, second.output
    assert (
        "0 people created, 3 updated, 0 teams created, 0 roles granted" in second.output
    )
    alice = user(db, "alice@example.com")
    assert alice.display_name == "Alice Anders"
    assert alice.location == "Berlin"
    assert alice.team.full_name == "Payments / Checkout"
    assert alice.roles == {Role.PROGRAM_MANAGER}
    assert alice.password_hash == old_hash, "an import never touches passwords"
    assert count(db, User) == 3
    assert count(db, Org) == 2 and count(db, Team) == 2
    imports = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "accounts.import")
    ).all()
    assert len(imports) == 2


def test_reimport_matches_org_and_team_names_whatever_their_case(
    app, db, tmp_path, make_org, make_team
):
    checkout = make_team(name="Checkout", org=make_org(name="Payments"))

    result = run_import(
        app, tmp_path, HEADER + "dee@example.com,Dee,PAYMENTS,checkout,,,\n"
    )

    assert result.exit_code == 0, result.output
    assert count(db, Org) == 1 and count(db, Team) == 1
    assert user(db, "dee@example.com").team_id == checkout.id


def create_admin(app, password, email="boss@example.com", name="Boss Person"):
    return app.test_cli_runner().invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            email,
            "--name",
            name,
            "--password-stdin",
        ],
        input=password + "\n",
    )


def test_create_admin_from_the_command_line(app, db):
    result = create_admin(app, "sturdy granite window frame", email="Boss@Example.com")

    assert result.exit_code == 0, result.output
    assert "Created boss@example.com (Boss Person) as an admin." in result.output
    boss = user(db, "boss@example.com")
    assert boss.display_name == "Boss Person"
    assert boss.roles == {Role.ADMIN}
    assert verify_password(boss.password_hash, "sturdy granite window frame")
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.target_id == str(boss.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["user.create", "role.grant"]


def test_create_admin_refuses_a_weak_password(app, db):
    short = create_admin(app, "short")
    common = create_admin(app, "qwerty123456")

    assert short.exit_code == 1
    assert "Use at least 12 characters." in short.output
    assert common.exit_code == 1
    assert "too common" in common.output
    assert count(db, User) == 0
    assert count(db, AuditEvent) == 0


def test_create_admin_promotes_an_existing_account_without_asking(app, db, engineer):
    name, password_hash = engineer.display_name, engineer.password_hash

    result = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", engineer.email]
    )

    assert result.exit_code == 0, result.output
    assert "Password" not in result.output and "Display name" not in result.output
    assert (
        f"{engineer.email} already had an account: it is now an admin. "
        "Its name and password are unchanged." in result.output
    )
    db.session.expire_all()
    assert engineer.roles == {Role.ADMIN}
    assert (engineer.display_name, engineer.password_hash) == (name, password_hash)
    assert count(db, User) == 1

    again = app.test_cli_runner().invoke(
        args=["users", "create-admin", "--email", engineer.email]
    )
    assert f"{engineer.email} is already an admin: nothing changed." in again.output


def test_create_admin_asks_a_new_account_for_its_name(app, db):
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create-admin",
            "--email",
            "new@example.com",
            "--password-stdin",
        ],
        input="New Admin\nsturdy granite window frame\n",
    )

    assert result.exit_code == 0, result.output
    assert "Display name" in result.output
    assert user(db, "new@example.com").display_name == "New Admin"


def test_the_import_refuses_guardians_and_roles_not_in_use(app, db, tmp_path):
    content = HEADER + (
        "gia@example.com,Gia Guardian,,,,,guardian\n"
        "sam@example.com,Sam Mentor,,,,,mentor\n"
    )

    result = run_import(app, tmp_path, content)

    assert result.exit_code != 0
    assert "line 2, column roles: guardian: Guardians join through" in result.output
    assert "line 3, column roles: mentor: The Mentor role is not used" in result.output
    assert count(db, User) == 0
