"""Tables of programme exchange: the personal calendar feed secret of each account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.tables import Base, utcnow
from server.db.types import UTCDateTime


class CalendarFeed(Base):
    """One secret feed URL per account; rotating it replaces the secret, deleting revokes it.

    The secret is looked up by its SHA-256 hash, so finding it never compares the
    secret itself byte by byte. It is also kept as issued because the owner must be
    able to see the URL again (to subscribe a second device); it only unlocks a
    read-only list of sessions, unlike a login token, which is stored hashed only.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
