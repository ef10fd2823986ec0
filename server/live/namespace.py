"""``/live``: connect with a join token, then every client event is routed and acknowledged.

Connect: the Socket.IO ``auth`` payload is ``{token, last_seq?, session_id?}``. A
refusal reaches the client's ``connect_error`` as ``err.message`` plus
``err.data = {code, message}``. After the CONNECT, ``on_ready`` enters the rooms
and sends ``room:welcome`` with no await in between (see resume.py).

Events: revocation and ban re-checked, the connection's event bucket taken, the
route found, the role checked, the payload validated, the handler run — and the
answer is always an ack, also for unknown events and malformed payloads.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio
from aiohttp import web
from pydantic import ValidationError

from server.appkeys import live_key, metrics_key
from server.db.availability import database_unavailable
from server.live import captions, chat, errors, hands, moderation, polls, qa, reactions
from server.live.conn import Conn
from server.live.context import LiveContext
from server.live.errors import LiveError, fail, ok
from server.live.ratelimit import LocalBucket
from server.live.resume import chat_welcome
from server.live.routing import Route, merge
from server.live.sql import iso_ms
from server.live.store import WriterClosed
from server.names import (
    AGENDA_ROOM,
    EV_ROOM_KICKED,
    EV_ROOM_WELCOME,
    LIVE_NAMESPACE,
    session_moderators_room,
    session_room,
    user_room,
)
from server.tokens.join import TokenError, verify_join_token
from server.tokens.revocation import is_banned, is_revoked

log = logging.getLogger(__name__)

ROUTES: dict[str, Route] = merge(
    chat.router,
    qa.router,
    polls.router,
    hands.router,
    reactions.router,
    captions.router,
    moderation.router,
)
_MAX_TOKEN = 8192


def refuse(code: str, message: str) -> socketio.exceptions.ConnectionRefusedError:
    exc = socketio.exceptions.ConnectionRefusedError(message)
    # Socket.IO clients surface {message, data}: err.message, and err.data = {code, message}.
    exc.error_args = {"message": message, "data": {"code": code, "message": message}}
    return exc


def _auth(auth: Any) -> tuple[str, int | None, int | None]:
    if not isinstance(auth, dict) or not auth.get("token"):
        raise refuse(errors.MISSING_TOKEN, "send your join token as auth.token")
    token = auth["token"]
    if not isinstance(token, str) or len(token) > _MAX_TOKEN:
        raise refuse("invalid_token", "the token is not valid")
    last_seq, session_id = auth.get("last_seq"), auth.get("session_id")
    for name, value in (("last_seq", last_seq), ("session_id", session_id)):
        if value is not None and (type(value) is not int or value < 0):
            raise refuse(errors.INVALID_AUTH, f"auth.{name} must be a non-negative integer")
    return token, last_seq, session_id


class LiveNamespace(socketio.AsyncNamespace):
    def __init__(self, app: web.Application) -> None:
        super().__init__(LIVE_NAMESPACE)
        self._app = app
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def ctx(self) -> LiveContext:
        return self._app[live_key]  # built by live_ctx when the application starts

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event == "connect":
            return await self.on_connect(*args)
        if event == "disconnect":
            return await self.on_disconnect(args[0])
        sid, payload = args[0], args[1:]
        known = isinstance(event, str) and event in ROUTES
        self._app[metrics_key].live_events_in.labels(event if known else "unknown").inc()
        try:
            return await self._dispatch(sid, event, payload)
        except Exception:
            log.exception("live event %r failed", event)
            return fail(errors.INTERNAL_ERROR, "internal error")

    # -- connection lifecycle -----------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token, last_seq, session_id = _auth(auth)
        try:
            await self._admit(sid, token, last_seq, session_id)
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception:
            log.exception("live connect failed")
            raise refuse(errors.UNAVAILABLE, "the room cannot be opened right now") from None

    async def _admit(
        self, sid: str, token: str, last_seq: int | None, session_id: int | None
    ) -> None:
        ctx = self.ctx
        try:
            claims = await verify_join_token(ctx.app, token, session_id)
        except TokenError as exc:
            raise refuse(exc.code, exc.message) from None
        account = await ctx.directory.get(claims.sub)
        if account is None:
            raise refuse("invalid_token", "the token names nobody we know")
        await ctx.rooms.acquire(claims.sid)
        settings = ctx.settings
        ctx.conns.add(
            Conn(
                sid=sid,
                session_id=claims.sid,
                user_id=account.user_id,
                public_id=account.public_id,
                name=account.name,
                role=claims.role,
                claims=claims,
                events=LocalBucket(settings.live_events_per_second, settings.live_events_burst),
                resume_from=last_seq,
            )
        )

    async def on_ready(self, sid: str) -> None:
        try:
            await self._welcome(sid)
        except Exception:
            # Presence or the fan-out failed (Redis away?): better no room than half a room.
            log.exception("live welcome failed")
            await self._kick(sid, errors.UNAVAILABLE, "the room cannot be opened right now")

    async def _welcome(self, sid: str) -> None:
        ctx = self.ctx
        conn = ctx.conns.get(sid)
        room = ctx.rooms.get(conn.session_id) if conn is not None else None
        if conn is None or room is None:
            return
        if not self._transport_open(sid):
            # The client left while its connect was being decided; python-socketio ran no
            # disconnect handler for a connection it had not finished, so clean up here.
            await self.on_disconnect(sid)
            await self.server.manager.disconnect(sid, LIVE_NAMESPACE, ignore_queue=True)
            return
        await ctx.presence.enter(conn)
        count = await ctx.presence.count(conn.session_id)
        if ctx.conns.get(sid) is not conn:
            return  # gone while presence was written
        # From here to the welcome emit nothing may await: entering the room and taking the
        # snapshot must be one step, or a message could be in both or in neither.
        manager = self.server.manager
        rooms = [session_room(conn.session_id), AGENDA_ROOM, user_room(conn.public_id)]
        if conn.is_moderator:
            rooms.append(session_moderators_room(conn.session_id))
        for name in rooms:
            manager.basic_enter_room(sid, LIVE_NAMESPACE, name)
        muted = room.muted_until(conn.public_id)
        welcome = {
            "session_id": conn.session_id,
            "you": conn.person(),
            "chat": chat_welcome(room.history, conn.resume_from, ctx.settings.live_history_size),
            "settings": room.settings.wire(),
            "presence": {"count": count},
            "muted_until": iso_ms(muted) if muted else None,
            "limits": {
                "chat_max_chars": ctx.settings.live_chat_max_chars,
                "chat_rate_per_second": ctx.settings.live_chat_rate_per_second,
                "chat_burst": ctx.settings.live_chat_burst,
                "max_frame_bytes": ctx.settings.live_max_frame_bytes,
            },
        }
        await ctx.fanout.emit_to(sid, EV_ROOM_WELCOME, welcome)

    def _transport_open(self, sid: str) -> bool:
        eio_sid = self.server.manager.eio_sid_from_sid(sid, LIVE_NAMESPACE)
        socket = self.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
        return socket is not None and not socket.closed and not socket.closing

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        ctx = self.ctx
        conn = ctx.conns.pop(sid)
        if conn is None:
            return
        try:
            await ctx.presence.leave(conn)
        finally:
            ctx.rooms.release(conn.session_id)

    # -- events -------------------------------------------------------------------------

    async def _dispatch(self, sid: str, event: Any, payload: tuple[Any, ...]) -> dict[str, Any]:
        ctx = self.ctx
        conn = ctx.conns.get(sid)
        if conn is None or conn.closing:
            return fail(errors.NOT_CONNECTED, "this connection is closing")
        if await is_banned(ctx.app, conn.public_id, conn.session_id):
            return self._expel(conn, "banned", moderation.BANNED_MESSAGE)
        if await is_revoked(ctx.app, conn.claims):
            return self._expel(conn, "revoked", "your join token has been revoked")
        decision = conn.events.take()
        if not decision.allowed:
            return fail(
                errors.RATE_LIMITED,
                "too many events on this connection",
                retry_after_ms=decision.retry_after_ms,
            )
        route = ROUTES.get(event) if isinstance(event, str) else None
        if route is None:
            return fail(errors.UNKNOWN_EVENT, f"unknown event {str(event)[:64]!r}")
        if route.roles is not None and conn.role not in route.roles:
            needed = " or ".join(sorted(route.roles))
            return fail(errors.FORBIDDEN, f"{route.event} needs the {needed} role")
        if len(payload) > 1:
            return fail(errors.INVALID_PAYLOAD, "send one object as the event's payload")
        raw = payload[0] if payload else None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            return fail(errors.INVALID_PAYLOAD, "the payload must be an object")
        try:
            body = route.model.model_validate(raw)
        except ValidationError as exc:
            return fail(
                errors.INVALID_PAYLOAD,
                "the payload is not valid",
                details=[
                    {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)
                ],
            )
        try:
            result = await route.handler(ctx, conn, body)
        except LiveError as exc:
            return exc.ack()
        except WriterClosed:
            return fail(errors.UNAVAILABLE, "the server is shutting down; reconnect")
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("live event %r: database unavailable: %r", route.event, exc)
            return fail(errors.UNAVAILABLE, "the database is not reachable right now; retry")
        return ok(**(result or {}))

    def _expel(self, conn: Conn, code: str, message: str) -> dict[str, Any]:
        """Refuse the event and close the connection right after the ack has gone out."""
        conn.closing = True
        task = asyncio.create_task(self._kick(conn.sid, code, message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return fail(code, message)

    async def _kick(self, sid: str, code: str, message: str) -> None:
        await asyncio.sleep(0)  # let the ack be queued first
        fanout = self.ctx.fanout
        await fanout.emit_to(sid, EV_ROOM_KICKED, {"code": code, "message": message})
        await fanout.disconnect(sid)
