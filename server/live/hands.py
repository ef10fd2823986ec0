"""Hand raising: a queue for moderators; granting the floor makes the person a speaker.

A grant is stored, then announced on the bus; the node(s) holding the person's
connections re-issue their join token with role ``speaker`` (server.tokens) and,
when the room has a media server, fresh media credentials, and push both in
``hand:granted``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import delete, select

from server.api.errors import ApiError
from server.db.tables import Room, Session, User
from server.db.tables_live import Hand
from server.live import audit, errors, people
from server.live.errors import LiveError
from server.live.routing import MODERATORS, Empty, Payload, Router
from server.live.sql import insert_ignore, iso_ms, now_utc
from server.names import (
    EV_HAND_DISMISS,
    EV_HAND_DISMISSED,
    EV_HAND_GRANT,
    EV_HAND_GRANTED,
    EV_HAND_LIST,
    EV_HAND_LOWER,
    EV_HAND_QUEUE,
    EV_HAND_RAISE,
    EV_MOD_ACTION,
)
from server.tokens.join import reissue_with_role
from server.tokens.media import media_for
from server.tokens.rules import Grant

if TYPE_CHECKING:
    from server.live.conn import Conn
    from server.live.context import LiveContext

log = logging.getLogger(__name__)

router = Router()

SPEAKER = "speaker"


class Target(Payload):
    public_id: str = Field(min_length=1, max_length=64)


async def queue(ctx: LiveContext, session_id: int) -> list[dict[str, Any]]:
    async with ctx.db.read() as s:
        rows = (
            await s.execute(
                select(Hand, User.public_id, User.name)
                .join(User, User.id == Hand.user_id)
                .where(Hand.session_id == session_id)
                .order_by(Hand.raised_at, Hand.user_id)
            )
        ).all()
    return [
        {
            "public_id": public_id,
            "name": name,
            "state": hand.state,
            "raised_at": iso_ms(hand.raised_at),
            "granted_at": iso_ms(hand.granted_at) if hand.granted_at else None,
        }
        for hand, public_id, name in rows
    ]


async def _push_queue(ctx: LiveContext, session_id: int) -> None:
    await ctx.broadcast.moderators(
        session_id, EV_HAND_QUEUE, {"hands": await queue(ctx, session_id)}
    )


@router.on(EV_HAND_RAISE, Empty)
async def raise_hand(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    async with ctx.db.write() as s:
        await s.execute(
            insert_ignore(
                s,
                Hand.__table__,
                {
                    "session_id": conn.session_id,
                    "user_id": conn.user_id,
                    "state": "raised",
                    "raised_at": now_utc(),
                },
            )
        )
        state = await s.scalar(
            select(Hand.state).where(
                Hand.session_id == conn.session_id, Hand.user_id == conn.user_id
            )
        )
    await _push_queue(ctx, conn.session_id)
    return {"state": state}


@router.on(EV_HAND_LOWER, Empty)
async def lower_hand(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    async with ctx.db.write() as s:
        await s.execute(
            delete(Hand).where(Hand.session_id == conn.session_id, Hand.user_id == conn.user_id)
        )
    await _push_queue(ctx, conn.session_id)
    return {"state": "lowered"}


@router.on(EV_HAND_LIST, Empty, roles=MODERATORS)
async def list_hands(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    return {"hands": await queue(ctx, conn.session_id)}


@router.on(EV_HAND_GRANT, Target, roles=MODERATORS)
async def grant(ctx: LiveContext, conn: Conn, body: Target) -> dict[str, Any]:
    async with ctx.db.write() as s:
        user = await people.by_public_id(s, body.public_id)
        hand = (
            await s.scalar(
                select(Hand).where(Hand.session_id == conn.session_id, Hand.user_id == user.id)
            )
            if user is not None
            else None
        )
        if user is None or hand is None:
            raise LiveError(errors.NOT_FOUND, "that person has no raised hand in this room")
        hand.state = "granted"
        hand.granted_at = now_utc()
        hand.granted_by = conn.user_id
        entry = audit.record(s, conn, "hand_grant", body.public_id, role=SPEAKER)
        await s.flush()
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.state(conn.session_id, "role", p=body.public_id, role=SPEAKER)
    await _push_queue(ctx, conn.session_id)
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"public_id": body.public_id, "role": SPEAKER}


@router.on(EV_HAND_DISMISS, Target, roles=MODERATORS)
async def dismiss(ctx: LiveContext, conn: Conn, body: Target) -> dict[str, Any]:
    async with ctx.db.write() as s:
        user = await people.by_public_id(s, body.public_id)
        if user is None:
            raise LiveError(errors.NOT_FOUND, f"nobody has the id {body.public_id!r}")
        result = await s.execute(
            delete(Hand).where(Hand.session_id == conn.session_id, Hand.user_id == user.id)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise LiveError(errors.NOT_FOUND, "that person has no raised hand in this room")
        entry = audit.record(s, conn, "hand_dismiss", body.public_id)
        await s.flush()
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.person(
        conn.session_id, body.public_id, EV_HAND_DISMISSED, {"session_id": conn.session_id}
    )
    await _push_queue(ctx, conn.session_id)
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"public_id": body.public_id}


async def _media(ctx: LiveContext, conn: Conn) -> dict[str, Any] | None:
    """The room's media-server credentials in the new role, if the room has a media server."""
    async with ctx.db.read() as s:
        room = await s.scalar(
            select(Room)
            .join(Session, Session.room_id == Room.id)
            .where(Session.id == conn.session_id)
        )
    if room is None:
        return None
    claims = conn.claims
    grant = Grant(
        claims.sid,
        claims.sub,
        SPEAKER,
        datetime.fromtimestamp(claims.nbf, UTC),
        datetime.fromtimestamp(claims.exp, UTC),
    )
    try:
        media = await media_for(ctx.app, grant, room.id, room.stream or {}, conn.name)
    except ApiError as exc:
        if exc.code != "no_media_server":
            log.warning("no media credentials for a granted speaker: %s", exc.message)
        return None
    return media.model_dump(mode="json")


async def on_role(ctx: LiveContext, session_id: int, public_id: str, role: str) -> None:
    """Bus frame ``role``: this node's connections of that person take the new role."""
    for conn in ctx.conns.of_person(session_id, public_id):
        if conn.role == "moderator":
            continue  # never demote a moderator by granting them the floor
        conn.role = role
        await ctx.presence.update_role(conn)
        try:
            issued = await reissue_with_role(ctx.app, conn.claims, role)
            media = await _media(ctx, conn)
        except Exception:
            log.exception("could not re-issue a %s token", role)
            continue
        await ctx.fanout.emit_to(
            conn.sid,
            EV_HAND_GRANTED,
            {"session_id": session_id, "role": role, "token": issued.token, "media": media},
        )
