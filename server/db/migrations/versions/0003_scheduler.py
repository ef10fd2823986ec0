"""scheduler: session transitions, the leader fence, reminders sent

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("due_at", server.db.types.UTCDateTime(), nullable=True),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("fencing_token", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_session_transitions_session", ["session_id", "id"], unique=False)

    fence = op.create_table(
        "scheduler_fence",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # The one row every leader's claim and every fenced transition update.
    op.bulk_insert(fence, [{"name": "scheduler", "token": 0}])

    op.create_table(
        "session_reminders",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("start_utc", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("sent_at", server.db.types.UTCDateTime(), nullable=False),
        sa.Column("mailed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "user_id", "start_utc"),
    )
    with op.batch_alter_table("session_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_reminders_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("session_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_reminders_user_id"))
    op.drop_table("session_reminders")
    op.drop_table("scheduler_fence")
    with op.batch_alter_table("session_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_session_transitions_session")
    op.drop_table("session_transitions")
