"""The recognition pages: the wall, the boards, "How points work", a person's
record and ledger, kudos, the name choice, and the program managers' awards."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.accounts.models import User
from portal.accounts.queries import org_choices
from portal.auth.permissions import permission_required
from portal.database import utcnow
from portal.extensions import db
from portal.recognition import badges, points, queries, records, services
from portal.recognition.forms import (
    BOARDS,
    SCOPE_OF,
    AwardKindForm,
    BoardFilterForm,
    GrantAwardForm,
    KudosForm,
    PrivacyForm,
    RevokeAwardForm,
    ScoreFilterForm,
)
from portal.recognition.models import Award, AwardKind
from portal.recognition.permissions import (
    can_give_kudos,
    can_grant_awards,
    can_see_boards,
    can_see_points_history,
    can_see_record,
    ranks_on_boards,
)
from portal.reviews.scoring import minimum_rated
from portal.web import flash_form_errors, page_number, paginate, run_service

bp = Blueprint("recognition", __name__, url_prefix="/recognition")


@bp.route("/")
@permission_required(can_see_boards)
def wall():
    """The recognition wall: recent awards, badges and kudos; everyone."""
    items, hidden = records.wall()
    return render_template("recognition/wall.html", items=items, hidden=hidden)


@bp.route("/leaderboard")
@permission_required(can_see_boards)
def board():
    """People, teams or orgs by points, with the viewer's own place; everyone."""
    form = BoardFilterForm(org_choices())
    board_name, period, org_id = "people", "quarter", None
    if form.validate():
        board_name = form.board.data or "people"
        period = form.period.data or "quarter"
        org_id = form.org.data or None
    number = page_number()
    board = queries.Board(SCOPE_OF[board_name], period, utcnow(), org_id)
    rows, total = board.page(number, viewer_id=current_user.id)
    if number > 1 and not rows:
        abort(404)
    own_id = current_user.id if board.scope == "person" else _own_subject(board.scope)
    mine = board.own_row(own_id) if own_id else None
    board.add_changes(rows + ([mine] if mine else []))
    return render_template(
        "recognition/board.html",
        form=form,
        args=form.link_args(),
        board_name=board_name,
        boards=BOARDS,
        period=period,
        rows=rows,
        total=total,
        number=number,
        size=queries.BOARD_SIZE,
        mine=mine,
        ranked=ranks_on_boards(current_user),
        elsewhere=_outside(org_id),
    ), form.status_code


def _outside(org_id):
    """Whether the board shows an org the viewer is not in."""
    team = current_user.team
    return org_id is not None and (team is None or team.org_id != org_id)


def _own_subject(scope):
    team = current_user.team
    if team is None:
        return None
    return team.id if scope == "team" else team.org_id


@bp.route("/leaderboard/scores")
@permission_required(can_see_boards)
def scores():
    """Guardians by the average survey score of the reviews they supported;
    everyone."""
    form = ScoreFilterForm(org_choices())
    period, org_id = "all", None
    if form.validate():
        period, org_id = form.period.data or "all", form.org.data or None
    now = utcnow()
    rows, mine = queries.score_board(period, now, org_id, current_user.id)
    return render_template(
        "recognition/scores.html",
        form=form,
        rows=rows,
        mine=mine,
        period=period,
        minimum=minimum_rated(),
        rated=queries.own_rated_count(current_user.id, period, now),
        ranked=ranks_on_boards(current_user),
        elsewhere=_outside(org_id),
    ), form.status_code


@bp.route("/points")
@permission_required(can_see_boards)
def how_points_work():
    """What everything is worth and how badges are earned; everyone."""
    return render_template(
        "recognition/points.html",
        sources=points.SOURCES.values(),
        examples=points.REVIEW_EXAMPLES,
        review_points=points.review_points,
        badges=badges.BADGES.values(),
        kudos_per_month=services.kudos_per_month(),
        minimum=minimum_rated(),
        poor=points.REVIEW_POOR,
        excellent=points.REVIEW_EXCELLENT,
    )


def _person(user_id):
    person = db.session.get(User, user_id)
    hidden = person is not None and services.name_hidden(person.id)
    if person is None or not can_see_record(current_user, person, hidden):
        abort(404)
    return person, hidden


@bp.route("/me")
@login_required
def me():
    """One's own recognition page."""
    return redirect(url_for("recognition.person", user_id=current_user.id))


@bp.route("/people/<int:user_id>")
@login_required
def person(user_id):
    """A person's recognition record, printable: everyone, unless they hide
    their name (then they and program managers)."""
    person, hidden = _person(user_id)
    privacy = PrivacyForm(hide_name=hidden)
    return render_template(
        "recognition/person.html",
        record=records.record(person, current_user, utcnow()),
        badges=badges.BADGES,
        hidden=hidden,
        kudos_form=KudosForm() if can_give_kudos(current_user, person) else None,
        privacy_form=privacy if person.id == current_user.id else None,
        history=can_see_points_history(current_user, person),
    )


@bp.route("/people/<int:user_id>/points")
@login_required
def history(user_id):
    """Every ledger entry of a person: they and program managers."""
    person, _ = _person(user_id)
    if not can_see_points_history(current_user, person):
        abort(404)
    page = paginate(records.history_query(person.id), per_page=records.HISTORY_PAGE)
    return render_template("recognition/history.html", person=person, page=page)


@bp.route("/people/<int:user_id>/kudos", methods=["POST"])
@login_required
def give_kudos(user_id):
    """Thank a Guardian: anyone but themselves."""
    person, _ = _person(user_id)
    target = url_for("recognition.person", user_id=person.id)
    form = KudosForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    return run_service(
        lambda: services.give_kudos(current_user, person, form.note.data, utcnow()),
        success=f"Kudos sent to {person.display_name}.",
        target=target,
    )


@bp.route("/privacy", methods=["POST"])
@login_required
def privacy():
    """Hide (or show) one's own name on the boards: each person for themselves."""
    form = PrivacyForm()
    target = url_for("recognition.person", user_id=current_user.id)
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    hidden = form.hide_name.data
    return run_service(
        lambda: services.set_name_hidden(current_user, hidden, utcnow()),
        success="Your name is hidden on the boards."
        if hidden
        else "Your name shows on the boards.",
        target=target,
    )


@bp.route("/awards", methods=["GET", "POST"])
@permission_required(can_grant_awards)
def awards():
    """Grant awards and see those granted: program managers."""
    kinds = records.award_kinds()
    form = GrantAwardForm(kinds)
    if form.validate_on_submit():
        kind = db.session.get(AwardKind, form.kind_id.data)
        if kind is None:
            abort(404)
        amount = kind.points if form.points.data is None else form.points.data
        done = run_service(
            lambda: services.grant_award(
                current_user,
                form.email.data,
                kind,
                form.citation.data,
                amount,
                utcnow(),
            ),
            success=lambda award: f"{kind.name} granted to {award.user.display_name}.",
            target=url_for("recognition.awards"),
            form=form,
        )
        if done:
            return done
    return render_template(
        "recognition/awards.html",
        form=form,
        kind_form=AwardKindForm(formdata=None),
        revoke_form=RevokeAwardForm(formdata=None),
        kinds=kinds,
        awards=records.recent_awards(),
    )


@bp.route("/awards/kinds", methods=["POST"])
@permission_required(can_grant_awards)
def define_award():
    """Define a new kind of award: program managers."""
    form = AwardKindForm()
    target = url_for("recognition.awards")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    return run_service(
        lambda: services.define_award_kind(
            current_user,
            form.name.data,
            form.description.data,
            form.points.data or 0,
            utcnow(),
        ),
        success=lambda kind: f"“{kind.name}” can now be granted.",
        target=target,
    )


@bp.route("/awards/<int:award_id>/revoke", methods=["POST"])
@permission_required(can_grant_awards)
def revoke_award(award_id):
    """Revoke an award granted by mistake: program managers."""
    award = db.session.get(Award, award_id) or abort(404)
    form = RevokeAwardForm()
    target = url_for("recognition.awards")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(target)
    return run_service(
        lambda: services.revoke_award(current_user, award, form.reason.data, utcnow()),
        success="The award is revoked and its points taken back.",
        target=target,
    )
