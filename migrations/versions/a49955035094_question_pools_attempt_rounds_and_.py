"""Question pools, attempt rounds and tokens, certificate lifetimes

Revision ID: a49955035094
Revises: af2dcfc8b730
Create Date: 2026-12-01 19:52:15.055670

"""
import calendar
import secrets

from alembic import op
import sqlalchemy as sa

import portal.database  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'a49955035094'
down_revision = 'af2dcfc8b730'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sequence', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('expires_at', portal.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', portal.database.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revocation_reason', sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_certificates_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_user_id'), ['user_id', 'sequence'])
        batch_op.create_index(batch_op.f('ix_certificates_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_user_id'), ['user_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificates_revoked_by_id_users'), 'users', ['revoked_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_certificates_revocation_has_reason'), '(revoked_at IS NULL) = (revocation_reason IS NULL)')

    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))

    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points', sa.Float(), nullable=False, server_default='1'))

    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('points_earned', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('points_possible', sa.Float(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_quiz_attempts_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_quiz_attempts_user_id'), ['user_id', 'module_version_id', 'round', 'number'])

    with op.batch_alter_table('training_module_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questions_per_attempt', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('review_after_failure', sa.String(length=20), nullable=False, server_default='explanations'))
        batch_op.add_column(sa.Column('review_after_pass', sa.String(length=20), nullable=False, server_default='answers'))
        batch_op.add_column(sa.Column('competency', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('objectives', sa.JSON(), nullable=True))

    _backfill()

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=portal.database.UTCDateTime(timezone=True), nullable=False)
    with op.batch_alter_table('training_module_versions', schema=None) as batch_op:
        batch_op.alter_column('objectives', existing_type=sa.JSON(), nullable=False)


def _add_months(moment, months):
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _tokens(taken):
    while True:
        token = secrets.token_hex(6)
        if token not in taken:
            taken.add(token)
            return token


def _tokenised(layout, questions):
    """An attempt's old layout ({q, c: [choice ids]}) with the tokens of the new one."""
    taken, entries = set(), []
    for entry in layout:
        if "f" in entry:
            return layout
        question = questions.get(entry["q"], {})
        ids = entry["c"] or (["true", "false"] if question.get("type") == "true_false" else [])
        entries.append({"q": entry["q"], "f": _tokens(taken), "c": [[_tokens(taken), cid] for cid in ids]})
    return entries


def _backfill():
    """Existing certificates get a lifetime; attempts get tokens and their points."""
    bind = op.get_bind()
    certificates = sa.table('certificates', sa.column('id'), sa.column('issued_at', portal.database.UTCDateTime()), sa.column('expires_at', portal.database.UTCDateTime()))
    for row in bind.execute(sa.select(certificates.c.id, certificates.c.issued_at)).all():
        bind.execute(certificates.update().where(certificates.c.id == row.id).values(expires_at=_add_months(row.issued_at, 12)))
    versions = sa.table('training_module_versions', sa.column('id'), sa.column('questions', sa.JSON()), sa.column('objectives', sa.JSON()))
    bind.execute(versions.update().values(objectives={}))
    questions = {row.id: {q["id"]: q for q in row.questions} for row in bind.execute(sa.select(versions.c.id, versions.c.questions))}
    attempts = sa.table('quiz_attempts', sa.column('id'), sa.column('module_version_id'), sa.column('layout', sa.JSON()), sa.column('score'), sa.column('points_earned'), sa.column('points_possible'))
    for row in bind.execute(sa.select(attempts.c.id, attempts.c.module_version_id, attempts.c.layout, attempts.c.score)).all():
        asked = questions.get(row.module_version_id, {})
        possible = float(sum(asked.get(entry["q"], {}).get("points", 1) for entry in row.layout))
        values = {"layout": _tokenised(row.layout, asked)}
        if row.score is not None:
            values.update(points_possible=possible, points_earned=possible * row.score / 100.0)
        bind.execute(attempts.update().where(attempts.c.id == row.id).values(**values))
    answers = sa.table('quiz_answers', sa.column('module_version_id'), sa.column('question_id'), sa.column('points'))
    for version_id, by_id in questions.items():
        for question_id, question in by_id.items():
            if question.get("points", 1) != 1:
                bind.execute(answers.update().where(answers.c.module_version_id == version_id, answers.c.question_id == question_id).values(points=float(question["points"])))


def downgrade():
    with op.batch_alter_table('training_module_versions', schema=None) as batch_op:
        batch_op.drop_column('objectives')
        batch_op.drop_column('competency')
        batch_op.drop_column('review_after_pass')
        batch_op.drop_column('review_after_failure')
        batch_op.drop_column('questions_per_attempt')

    # Only the first certificate of each person fits the old one-per-person rule.
    op.execute("DELETE FROM certificates WHERE sequence > 1")
    op.execute("DELETE FROM quiz_answers WHERE attempt_id IN (SELECT id FROM quiz_attempts WHERE round > 1)")
    op.execute("DELETE FROM quiz_attempts WHERE round > 1")
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_quiz_attempts_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_quiz_attempts_user_id'), ['user_id', 'module_version_id', 'number'])
        batch_op.drop_column('points_possible')
        batch_op.drop_column('points_earned')
        batch_op.drop_column('round')

    with op.batch_alter_table('quiz_answers', schema=None) as batch_op:
        batch_op.drop_column('points')

    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_column('round')

    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_certificates_revocation_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_certificates_revoked_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificates_user_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_expires_at'))
        batch_op.drop_constraint(batch_op.f('uq_certificates_user_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_certificates_user_id'), ['user_id'])
        batch_op.drop_column('revocation_reason')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('sequence')

