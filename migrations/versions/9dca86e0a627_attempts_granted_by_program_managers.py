"""Attempts granted by program managers, closed cohorts, org coverage targets, a readable and append-only audit log

Revision ID: 9dca86e0a627
Revises: a49955035094
Create Date: 2026-12-01 21:09:24.355599

"""
from alembic import op
import sqlalchemy as sa

import portal.database  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = '9dca86e0a627'
down_revision = 'a49955035094'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extra_attempts', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', portal.database.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guardian_ratio_target', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_orgs_guardian_ratio_target_range'), 'guardian_ratio_target IS NULL OR guardian_ratio_target BETWEEN 1 AND 1000')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caused_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('target_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_audit_events_caused_by_id_users'), 'users', ['caused_by_id'], ['id'])

    # The audit log is append-only in the database too, not only in the ORM.
    # (Created after the batch change above: on SQLite that rebuilds the table.)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; "
            "$$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE "
            "ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END"
            )



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_events_caused_by_id_users'), type_='foreignkey')
        batch_op.drop_column('caused_by_id')
        batch_op.drop_column('target_name')

    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_orgs_guardian_ratio_target_range'), type_='check')
        batch_op.drop_column('guardian_ratio_target')

    with op.batch_alter_table('module_progress', schema=None) as batch_op:
        batch_op.drop_column('extra_attempts')

