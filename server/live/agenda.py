"""``/agenda``: a public, read-only namespace the agenda page listens on."""

from __future__ import annotations

from typing import Any

import socketio

from server.accounts.identity import user_for_token
from server.appkeys import db_key
from server.db.tables import User
from server.names import AGENDA_NAMESPACE, AGENDA_ROOM, SESSION_COOKIE, user_room


class AgendaNamespace(socketio.AsyncNamespace):
    def __init__(self) -> None:
        super().__init__(AGENDA_NAMESPACE)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        user = await _identify(environ, auth)
        await self.enter_room(sid, AGENDA_ROOM)
        if user is not None:  # personal pushes (reminders) reach every open tab
            await self.enter_room(sid, user_room(user.public_id))

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        # Listeners only: every client event gets the same clear refusal.
        return {
            "ok": False,
            "error": {"code": "read_only", "message": "the agenda channel only pushes"},
        }


async def _identify(environ: dict[str, Any], auth: Any) -> User | None:
    """A login token in the auth payload, else the session cookie; anonymous otherwise.

    A token the client sent on purpose and that does not work is refused, so the
    client learns why; a stale cookie just leaves the (public) agenda anonymous.
    """
    request = environ.get("aiohttp.request")
    if request is None:
        return None
    sent = auth.get("token") if isinstance(auth, dict) else None
    token = sent if isinstance(sent, str) and sent else request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    user = await user_for_token(request.app[db_key], token)
    if user is None and token is sent:
        raise socketio.exceptions.ConnectionRefusedError(
            {"code": "invalid_token", "message": "the login token is invalid or expired"}
        )
    return user
