"""Server-side sessions, one-time account links and confirmed addresses

Revision ID: dad00996b742
Revises: 9dca86e0a627
Create Date: 2026-12-02 04:40:12.583696

"""

from alembic import op
import sqlalchemy as sa

import portal.database  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = "dad00996b742"
down_revision = "9dca86e0a627"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "reset_password",
                "verify_email",
                "sign_in",
                name="link_purpose",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("used_at", portal.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_links_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_links_token_hash")),
    )
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_links_user_id_purpose", ["user_id", "purpose"], unique=False
        )

    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column(
            "last_seen_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "revoked_at", portal.database.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_user_sessions_user_id_revoked_at",
            ["user_id", "revoked_at"],
            unique=False,
        )

    op.create_table(
        "password_reset_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column(
            "answered_at", portal.database.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at", portal.database.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_requests")),
    )
    with op.batch_alter_table("password_reset_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_requests_answered_at"),
            ["answered_at"],
            unique=False,
        )

    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_tokens_user_id"))

    op.drop_table("password_reset_tokens")
    with op.batch_alter_table("users", schema=None) as batch_op:
        # Left empty for every existing account: each confirms its address
        # with an emailed link at its next sign-in, or by resetting its password.
        batch_op.add_column(
            sa.Column(
                "email_verified_at",
                portal.database.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.drop_column("session_version")


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_version", sa.Integer(), nullable=False, server_default="1"
            )
        )
        batch_op.drop_column("email_verified_at")

    op.create_table(
        "password_reset_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", portal.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portal.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.database.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_password_reset_tokens_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_tokens")),
        sa.UniqueConstraint(
            "token_hash", name=op.f("uq_password_reset_tokens_token_hash")
        ),
    )
    with op.batch_alter_table("password_reset_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_password_reset_tokens_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_user_sessions_user_id_revoked_at")

    op.drop_table("user_sessions")
    with op.batch_alter_table("password_reset_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_reset_requests_answered_at"))

    op.drop_table("password_reset_requests")
    with op.batch_alter_table("account_links", schema=None) as batch_op:
        batch_op.drop_index("ix_account_links_user_id_purpose")

    op.drop_table("account_links")
