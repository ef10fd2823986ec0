"""Server-to-client pushes that do not need a live connection of our own.

The web server emits through its ``AsyncServer``; a standalone scheduler emits
through a write-only ``AsyncRedisManager``. Both have the same ``emit``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from server.names import AGENDA_NAMESPACE, AGENDA_ROOM, LIVE_NAMESPACE, session_room, user_room

Emit = Callable[..., Awaitable[Any]]


class Pusher:
    def __init__(self, emit: Emit) -> None:
        self._emit = emit

    async def agenda(self, event: str, data: dict[str, Any]) -> None:
        """To the agenda page and to every live-room client."""
        await self._emit(event, data, namespace=AGENDA_NAMESPACE, room=AGENDA_ROOM)
        await self._emit(event, data, namespace=LIVE_NAMESPACE, room=AGENDA_ROOM)

    async def session(self, session_id: int, event: str, data: dict[str, Any]) -> None:
        await self._emit(event, data, namespace=LIVE_NAMESPACE, room=session_room(session_id))

    async def user(self, public_id: str, event: str, data: dict[str, Any]) -> None:
        for namespace in (AGENDA_NAMESPACE, LIVE_NAMESPACE):
            await self._emit(event, data, namespace=namespace, room=user_room(public_id))
