"""Room broadcasts across nodes: publish a frame on the bus, each node delivers locally.

Every node applies a frame to its room state first (history, settings, mutes) and
then hands the event to its ``Fanout``, both without an await in between, so a
client that enters a room sees any message either in its welcome snapshot or live,
never both and never neither.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from server.live.bus import Bus, Frame
from server.live.conn import Connections
from server.live.fanout import Fanout
from server.live.rooms import Rooms
from server.names import (
    EV_CHAT_DELETED,
    EV_CHAT_MESSAGE,
    EV_ROOM_KICKED,
    EV_ROOM_SETTINGS,
    session_moderators_room,
    session_room,
)

log = logging.getLogger(__name__)


def emit_frame(
    session_id: int, event: str, data: Any, to: str = "room", public_id: str | None = None
) -> Frame:
    frame: Frame = {"k": "emit", "s": session_id, "to": to, "e": event, "d": data}
    if public_id is not None:
        frame["p"] = public_id
    return frame


class Broadcaster:
    def __init__(self, bus: Bus, fanout: Fanout, rooms: Rooms, conns: Connections) -> None:
        self._bus = bus
        self._fanout = fanout
        self._rooms = rooms
        self._conns = conns
        self.on_presence_hint: Callable[[int], None] | None = None
        self.on_role: Callable[[int, str, str], Awaitable[None]] | None = None
        bus.subscribe(self._on_frame)

    async def room(self, session_id: int, event: str, data: Any) -> None:
        await self._bus.publish(emit_frame(session_id, event, data))

    async def room_many(self, session_id: int, items: Sequence[tuple[str, Any]]) -> None:
        await self._bus.publish_many([emit_frame(session_id, e, d) for e, d in items])

    async def moderators(self, session_id: int, event: str, data: Any) -> None:
        await self._bus.publish(emit_frame(session_id, event, data, to="mods"))

    async def person(self, session_id: int, public_id: str, event: str, data: Any) -> None:
        """To every connection of one person in one session, on every node."""
        await self._bus.publish(emit_frame(session_id, event, data, "person", public_id))

    async def state(self, session_id: int, op: str, **data: Any) -> None:
        await self._bus.publish({"k": "state", "s": session_id, "op": op, **data})

    async def kick(self, session_id: int, public_id: str, code: str, message: str) -> None:
        await self._bus.publish(
            {"k": "kick", "s": session_id, "p": public_id, "code": code, "message": message}
        )

    async def resync(self) -> None:
        """The bus was cut off (Redis lost): other nodes' frames may be lost. Re-read every
        room this node serves and deliver, to its own clients, what they did not hear."""
        for room in self._rooms.loaded():
            try:
                missed = await self._rooms.refresh(room)
            except Exception:
                log.exception("re-reading live room %s after a bus outage failed", room.session_id)
                continue
            sid = room.session_id
            for message in missed.messages:
                await self._fanout.emit(session_room(sid), EV_CHAT_MESSAGE, message)
            for seq in missed.deleted:
                await self._fanout.emit(session_room(sid), EV_CHAT_DELETED, {"seq": seq})
            if missed.settings is not None:
                await self._fanout.emit(session_room(sid), EV_ROOM_SETTINGS, missed.settings.wire())
            if missed.messages or missed.deleted:
                log.info(
                    "live room %s: %d missed messages and %d deletions delivered after a bus outage",
                    sid,
                    len(missed.messages),
                    len(missed.deleted),
                )

    async def presence_hint(self, session_id: int) -> None:
        await self._bus.publish({"k": "presence", "s": session_id})

    async def _on_frame(self, frame: Frame) -> None:
        kind, session_id = frame.get("k"), frame.get("s")
        if not isinstance(session_id, int):
            return
        room = self._rooms.get(session_id)
        if room is None:
            return  # nobody in that room on this node
        room.apply(frame)
        if kind == "emit":
            to = frame["to"]
            if to == "room":
                await self._fanout.emit(session_room(session_id), frame["e"], frame["d"])
            elif to == "mods":
                await self._fanout.emit(session_moderators_room(session_id), frame["e"], frame["d"])
            elif to == "person":
                for conn in self._conns.of_person(session_id, frame["p"]):
                    await self._fanout.emit_to(conn.sid, frame["e"], frame["d"])
        elif kind == "kick":
            for conn in self._conns.of_person(session_id, frame["p"]):
                conn.closing = True
                await self._fanout.emit_to(
                    conn.sid, EV_ROOM_KICKED, {"code": frame["code"], "message": frame["message"]}
                )
                await self._fanout.disconnect(conn.sid)
        elif kind == "presence":
            if self.on_presence_hint is not None:
                self.on_presence_hint(session_id)
        elif kind == "state" and frame["op"] == "role" and self.on_role is not None:
            await self.on_role(session_id, frame["p"], frame["role"])
