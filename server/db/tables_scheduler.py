"""What the scheduler records: lifecycle transitions, the fencing token, reminders sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.tables import Base
from server.db.types import UTCDateTime


class SessionTransition(Base):
    """One lifecycle action on a session: a state change, or an extension (from == to).

    Append-only. ``cause`` says who acted: the ``timer`` on time, ``catch-up``
    after the scheduler missed the moment, or a ``moderator`` (``by_user_id``).
    """

    __tablename__ = "session_transitions"
    __table_args__ = (Index("ix_session_transitions_session", "session_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the programme said it was due (timer / catch-up); lateness = at - due_at.
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cause: Mapped[str] = mapped_column(String(16))  # timer | catch-up | moderator
    action: Mapped[str] = mapped_column(String(16))  # advance | start_early | extend | end_now
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The scheduler leader's token (cluster mode); None for moderators and embedded mode.
    fencing_token: Mapped[int | None] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class SchedulerFence(Base):
    """The highest leader token the database has seen; older leaders are refused.

    One row (``name = "scheduler"``), created by the migration. Each transition a
    leader commits updates it conditionally on its own token, so the row lock
    orders a new leader's claim against an old leader's in-flight writes.
    """

    __tablename__ = "scheduler_fence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger, default=0)


class SessionReminder(Base):
    """A reminder sent to one person for one session start: never sent twice.

    Keyed on the start it announced, so a session moved to a new time is announced again.
    """

    __tablename__ = "session_reminders"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mailed: Mapped[bool] = mapped_column(Boolean, default=False)  # an email was spooled too
