"""What the stream relay keeps: each room's stream key (hashed) and session replays."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.tables import Base, utcnow
from server.db.types import UTCDateTime


class StreamKey(Base):
    """The one valid ingest key of a room, as a SHA-256 hash (the key is shown once)."""

    __tablename__ = "stream_keys"

    room_id: Mapped[int] = mapped_column(
        ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True
    )
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Replay(Base):
    """One channel of one session's recording; playable once ``published_at`` is set."""

    __tablename__ = "stream_replays"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An encoder restart begins a new run (file names start again at index0).
    run: Mapped[int] = mapped_column(Integer, default=1)
    # The media sequence number of the last playlist seen: going back means a restart.
    last_media_seq: Mapped[int | None] = mapped_column(Integer)
    segment_count: Mapped[int] = mapped_column(Integer, default=0)  # set when published
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)


class ReplayFile(Base):
    """A segment (or fMP4 init section) of a replay.

    ffmpeg sends the segment, then a playlist naming it with its duration, without
    waiting for answers — the two may be handled in either order, on any node. A
    file is part of the replay once it has both ``arrived`` (its bytes are on
    disk) and been ``listed`` (a playlist gave its place and duration).
    """

    __tablename__ = "stream_replay_files"
    __table_args__ = (UniqueConstraint("session_id", "channel", "run", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    run: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(80))  # as the encoder named it
    kind: Mapped[str] = mapped_column(String(8))  # segment | init
    arrived: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    media_seq: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float, default=0.0)
    discontinuity: Mapped[bool] = mapped_column(Boolean, default=False)
    map_name: Mapped[str | None] = mapped_column(String(80))  # its init section, if fMP4
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
