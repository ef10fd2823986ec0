"""``/agenda``: a public, read-only namespace the agenda page listens on."""

from __future__ import annotations

from typing import Any

import socketio

from server.names import AGENDA_NAMESPACE, AGENDA_ROOM


class AgendaNamespace(socketio.AsyncNamespace):
    def __init__(self) -> None:
        super().__init__(AGENDA_NAMESPACE)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await self.enter_room(sid, AGENDA_ROOM)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        # Listeners only: every client event gets the same clear refusal.
        return {
            "ok": False,
            "error": {"code": "read_only", "message": "the agenda channel only pushes"},
        }
