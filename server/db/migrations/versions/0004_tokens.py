"""tokens: signing keys, revoked tokens, bans

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("rotated_out_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_token_expires_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("retired_at", server.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("user_public_id", sa.String(length=32), nullable=True),
        sa.Column("iat_cutoff", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("expires_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", server.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("jti"),
    )
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_revoked_tokens_expires", ["expires_at"], unique=False)
    op.create_table(
        "bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_public_id", sa.String(length=32), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "user_public_id"),
    )
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bans_user_public_id"), ["user_public_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bans_user_public_id"))
    op.drop_table("bans")
    with op.batch_alter_table("revoked_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_revoked_tokens_expires")
    op.drop_table("revoked_tokens")
    op.drop_table("signing_keys")
