"""The rooms this node serves: settings, mutes and chat history, kept current by bus frames.

A room is loaded from the database when its first connection on this node arrives
and dropped when its last one leaves. Frames that arrive while it loads are
replayed after the load, so a message or deletion is never lost in between.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from server.db.engine import Database
from server.db.tables import User
from server.db.tables_live import ChatMessage, LiveRoom, Mute
from server.live.bus import Frame
from server.live.history import History, Message
from server.live.sql import insert_ignore, iso_ms, now_utc
from server.names import EV_CHAT_DELETED, EV_CHAT_MESSAGE, EV_ROOM_SETTINGS


@dataclass
class RoomSettings:
    slow_mode_seconds: int = 0
    locked: bool = False
    pinned: Message | None = None

    def wire(self) -> dict[str, Any]:
        return {
            "slow_mode_seconds": self.slow_mode_seconds,
            "locked": self.locked,
            "pinned": self.pinned,
        }


def message_wire(row: ChatMessage) -> Message:
    return {
        "seq": row.seq,
        "text": row.text,
        "author": {
            "public_id": row.author_public_id,
            "name": row.author_name,
            "role": row.author_role,
        },
        "at": iso_ms(row.created_at),
    }


@dataclass(eq=False)
class RoomState:
    session_id: int
    history: History
    settings: RoomSettings = field(default_factory=RoomSettings)
    mutes: dict[str, datetime] = field(default_factory=dict)  # public id -> until
    local: int = 0  # connections on this node
    loaded: bool = False
    pending: list[Frame] = field(default_factory=list)
    ready: asyncio.Task[None] | None = None
    recording: list[Frame] | None = None  # frames seen while a refresh reads the database

    def muted_until(self, public_id: str) -> datetime | None:
        until = self.mutes.get(public_id)
        if until is None:
            return None
        if until <= now_utc():
            self.mutes.pop(public_id, None)
            return None
        return until

    def apply(self, frame: Frame) -> None:
        if not self.loaded:
            self.pending.append(frame)
            return
        if self.recording is not None:
            self.recording.append(frame)
        kind = frame.get("k")
        if kind == "emit":
            event, data = frame["e"], frame["d"]
            if event == EV_CHAT_MESSAGE:
                self.history.add(data)
            elif event == EV_CHAT_DELETED:
                self.history.delete(data["seq"])
                pinned = self.settings.pinned
                if pinned is not None and pinned["seq"] == data["seq"]:
                    self.settings.pinned = None
            elif event == EV_ROOM_SETTINGS:
                self.settings = RoomSettings(
                    slow_mode_seconds=data["slow_mode_seconds"],
                    locked=data["locked"],
                    pinned=data["pinned"],
                )
        elif kind == "state":
            if frame["op"] == "mute":
                self.mutes[frame["p"]] = datetime.fromisoformat(frame["until"])
            elif frame["op"] == "unmute":
                self.mutes.pop(frame["p"], None)
            elif frame["op"] == "rewrite":  # an erased author's messages, anonymised
                for message in frame["messages"]:
                    self.history.replace(message)
                    pinned = self.settings.pinned
                    if pinned is not None and pinned["seq"] == message["seq"]:
                        self.settings.pinned = message


@dataclass
class Missed:
    """What a node's clients did not hear while frames were lost (a refresh found it)."""

    messages: list[Message] = field(default_factory=list)  # in seq order
    deleted: list[int] = field(default_factory=list)  # shown here, deleted meanwhile
    settings: RoomSettings | None = None  # changed meanwhile


class Rooms:
    def __init__(self, db: Database, resume_window: int) -> None:
        self._db = db
        self._window = resume_window
        self._rooms: dict[int, RoomState] = {}
        # The bus's per-room subscription (cluster mode): opened before a room is read, so
        # no frame published after the read is missed; closed when the room is dropped.
        self.on_open: Callable[[int], Awaitable[None]] | None = None
        self.on_close: Callable[[int], None] | None = None

    def get(self, session_id: int) -> RoomState | None:
        return self._rooms.get(session_id)

    async def acquire(self, session_id: int) -> RoomState:
        room = self._rooms.get(session_id)
        if room is None:
            room = RoomState(session_id, History(self._window))
            self._rooms[session_id] = room
            room.ready = asyncio.create_task(self._load(room))
        room.local += 1
        try:
            assert room.ready is not None
            await asyncio.shield(room.ready)
        except BaseException:
            self.release(session_id, room)
            raise
        return room

    def release(self, session_id: int, room: RoomState | None = None) -> None:
        current = self._rooms.get(session_id)
        if current is None or (room is not None and current is not room):
            return
        current.local -= 1
        if current.local <= 0:
            del self._rooms[session_id]
            if self.on_close is not None:
                self.on_close(session_id)

    async def _load(self, room: RoomState) -> None:
        try:
            if self.on_open is not None:
                await self.on_open(room.session_id)
            await self._read(room)
        except BaseException:
            # A failed load must not stay cached: the next connection tries again.
            if self._rooms.get(room.session_id) is room:
                del self._rooms[room.session_id]
                if self.on_close is not None:
                    self.on_close(room.session_id)
            raise
        room.loaded = True
        pending, room.pending = room.pending, []
        for frame in pending:
            room.apply(frame)

    async def _read(self, room: RoomState) -> None:
        sid = room.session_id
        async with self._db.read() as s:
            exists = await s.get(LiveRoom, sid)
        if exists is None:
            async with self._db.write() as s:
                await s.execute(
                    insert_ignore(
                        s,
                        LiveRoom.__table__,
                        {
                            "session_id": sid,
                            "last_seq": 0,
                            "slow_mode_seconds": 0,
                            "locked": False,
                            "updated_at": now_utc(),
                        },
                    )
                )
        async with self._db.read() as s:
            state = await s.get(LiveRoom, sid)
            assert state is not None
            rows = list(
                await s.scalars(
                    select(ChatMessage)
                    .where(ChatMessage.session_id == sid)
                    .order_by(ChatMessage.seq.desc())
                    .limit(self._window)
                )
            )
            rows.reverse()
            mutes = (
                await s.execute(
                    select(User.public_id, Mute.until)
                    .join(User, User.id == Mute.user_id)
                    .where(Mute.session_id == sid, Mute.until > now_utc())
                )
            ).all()
            pinned: Message | None = None
            if state.pinned_seq is not None:
                row = await s.scalar(
                    select(ChatMessage).where(
                        ChatMessage.session_id == sid,
                        ChatMessage.seq == state.pinned_seq,
                        ChatMessage.deleted_at.is_(None),
                    )
                )
                pinned = message_wire(row) if row is not None else None
        floor = rows[0].seq - 1 if len(rows) >= self._window else 0
        room.history.load(
            [message_wire(r) for r in rows],
            {r.seq for r in rows if r.deleted_at is not None},
            floor,
        )
        room.settings = RoomSettings(state.slow_mode_seconds, state.locked, pinned)
        room.mutes = {public_id: until for public_id, until in mutes}

    def loaded(self) -> list[RoomState]:
        return [room for room in self._rooms.values() if room.loaded]

    async def refresh(self, room: RoomState) -> Missed:
        """Re-read a room after frames may have been lost (the bus lost Redis).

        Frames keep being applied (and delivered) while the database is read, and are
        recorded; the fresh state is the database's plus those frames, so nothing
        committed is missing from it. It replaces the room's state in one step, and
        what the old state lacked comes back for the caller to deliver.
        """
        fresh = RoomState(room.session_id, History(self._window))
        room.recording = []
        try:
            await self._read(fresh)
        finally:
            frames, room.recording = room.recording, None
        fresh.loaded = True
        for frame in frames:
            fresh.apply(frame)
        old = room.history
        missed = Missed(
            messages=[m for m in fresh.history.after(fresh.history.floor) if m["seq"] not in old],
            deleted=sorted(
                seq
                for seq in set(fresh.history.deleted_seqs()) - set(old.deleted_seqs())
                if old.get(seq) is not None
            ),
            settings=fresh.settings if fresh.settings.wire() != room.settings.wire() else None,
        )
        room.history, room.settings, room.mutes = fresh.history, fresh.settings, fresh.mutes
        return missed

    async def close(self) -> None:
        for room in list(self._rooms.values()):
            if room.ready is not None and not room.ready.done():
                room.ready.cancel()
                with contextlib.suppress(BaseException):
                    await room.ready
        self._rooms.clear()
