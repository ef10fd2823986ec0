"""Attendance of the live rooms: how many were in a room over time, and who came at all.

Written by ``server/live/attendance.py`` in batches, read by the organisers' reports.
A viewer row names the person by ``users.id`` only (no name, no email); erasing the
account nulls that id (``SET NULL``), so the row still counts as one unique viewer
but leads back to nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.tables import Base
from server.db.types import UTCDateTime


class AttendanceSample(Base):
    """Peak concurrent people in a session's room during one bucket (``at`` is its start).

    Several nodes may write the same bucket: the larger count wins, so writes commute."""

    __tablename__ = "live_attendance_samples"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    viewers: Mapped[int] = mapped_column(Integer)


class AttendanceViewer(Base):
    """One person who joined a session's room, with when they were first and last seen."""

    __tablename__ = "live_attendance_viewers"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id", name="uq_live_attendance_viewers_session_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    # NULL once the account is erased: still counted, no longer anyone's.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
