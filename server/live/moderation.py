"""Moderation: delete, mute, ban, pin, slow mode, lock — every action in the audit log.

A ban is stored and revokes the person's tokens (server.tokens.revocation.ban, on
every node within a second); then a ``kick`` frame disconnects their connections
on every node at once. Because every event re-checks the blocklist, the ban holds
even if the kick frame were lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import delete, select, update

from server.api.fields import MAX_ID
from server.db.tables_live import ChatMessage, LiveRoom, Mute
from server.live import audit, errors, people
from server.live.errors import LiveError
from server.live.rooms import RoomSettings, message_wire
from server.live.routing import MODERATORS, Empty, Payload, Router
from server.live.sql import insert_ignore, iso_ms, now_utc
from server.live.text import clean
from server.names import (
    EV_CHAT_DELETED,
    EV_CHAT_MUTED,
    EV_CHAT_UNMUTED,
    EV_MOD_ACTION,
    EV_MOD_AUDIT,
    EV_MOD_BAN,
    EV_MOD_DELETE,
    EV_MOD_LOCK,
    EV_MOD_MUTE,
    EV_MOD_PIN,
    EV_MOD_SLOW_MODE,
    EV_MOD_UNMUTE,
    EV_MOD_UNPIN,
    EV_PRESENCE_ROSTER,
    EV_ROOM_SETTINGS,
)
from server.tokens import revocation

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from server.live.conn import Conn
    from server.live.context import LiveContext

router = Router()

BANNED_MESSAGE = "you have been removed from this session"


class MessageRef(Payload):
    seq: int = Field(ge=1, le=MAX_ID)  # a bigger number is no message (and overflows SQL)


class MuteBody(Payload):
    public_id: str = Field(min_length=1, max_length=64)
    minutes: int = Field(ge=1)
    reason: str = Field(default="", max_length=500)


class PersonRef(Payload):
    public_id: str = Field(min_length=1, max_length=64)


class BanBody(Payload):
    public_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=500)
    # At most ~19 years: anything longer would overflow the date arithmetic.
    minutes: int | None = Field(
        default=None, ge=1, le=10_000_000, description="None: for the whole session"
    )


class SlowMode(Payload):
    seconds: int = Field(ge=0, le=3600)


class Lock(Payload):
    locked: bool


class AuditQuery(Payload):
    limit: int = Field(default=50, ge=1, le=500)


async def _settings_wire(s: AsyncSession, room: LiveRoom) -> dict[str, Any]:
    pinned = None
    if room.pinned_seq is not None:
        row = await s.scalar(
            select(ChatMessage).where(
                ChatMessage.session_id == room.session_id,
                ChatMessage.seq == room.pinned_seq,
                ChatMessage.deleted_at.is_(None),
            )
        )
        pinned = message_wire(row) if row is not None else None
    return RoomSettings(room.slow_mode_seconds, room.locked, pinned).wire()


async def _change_room(
    ctx: LiveContext, conn: Conn, action: str, details: dict[str, Any], **values: Any
) -> dict[str, Any]:
    async with ctx.db.write() as s:
        room = await s.get(LiveRoom, conn.session_id, with_for_update=True)
        if room is None:
            raise LiveError(errors.NOT_CONNECTED, "this room is not open")
        for name, value in values.items():
            setattr(room, name, value)
        room.updated_at = now_utc()
        entry = audit.record(s, conn, action, **details)
        await s.flush()
        settings = await _settings_wire(s, room)
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.room(conn.session_id, EV_ROOM_SETTINGS, settings)
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"settings": settings}


@router.on(EV_MOD_DELETE, MessageRef, roles=MODERATORS)
async def delete_message(ctx: LiveContext, conn: Conn, body: MessageRef) -> dict[str, Any]:
    async with ctx.db.write() as s:
        row = await s.scalar(
            select(ChatMessage).where(
                ChatMessage.session_id == conn.session_id, ChatMessage.seq == body.seq
            )
        )
        if row is None or row.deleted_at is not None:
            raise LiveError(errors.NOT_FOUND, f"message {body.seq} is not in this room")
        row.deleted_at = now_utc()
        row.deleted_by = conn.user_id
        unpinned = (
            await s.execute(
                update(LiveRoom)
                .where(LiveRoom.session_id == conn.session_id, LiveRoom.pinned_seq == body.seq)
                .values(pinned_seq=None, updated_at=now_utc())
            )
        ).rowcount  # type: ignore[attr-defined]
        # The audit log keeps what was said: the room no longer shows it, moderators can review.
        entry = audit.record(
            s, conn, "chat_delete", row.author_public_id, f"chat:{body.seq}", text=row.text
        )
        await s.flush()
        logged = audit.wire(entry, conn.name)
        settings = None
        if unpinned:
            room = await s.get(LiveRoom, conn.session_id, populate_existing=True)
            settings = await _settings_wire(s, room) if room is not None else None
    await ctx.broadcast.room(conn.session_id, EV_CHAT_DELETED, {"seq": body.seq})
    if settings is not None:
        await ctx.broadcast.room(conn.session_id, EV_ROOM_SETTINGS, settings)
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"seq": body.seq}


@router.on(EV_MOD_MUTE, MuteBody, roles=MODERATORS)
async def mute(ctx: LiveContext, conn: Conn, body: MuteBody) -> dict[str, Any]:
    if body.minutes > ctx.settings.live_mute_max_minutes:
        raise LiveError(
            errors.INVALID_PAYLOAD,
            f"at most {ctx.settings.live_mute_max_minutes} minutes",
        )
    until = now_utc() + timedelta(minutes=body.minutes)
    reason = clean(body.reason, multiline=False)
    async with ctx.db.write() as s:
        target = await people.moderation_target(s, body.public_id, conn.session_id)
        await s.execute(
            delete(Mute).where(Mute.session_id == conn.session_id, Mute.user_id == target.id)
        )
        await s.execute(
            insert_ignore(
                s,
                Mute.__table__,
                {
                    "session_id": conn.session_id,
                    "user_id": target.id,
                    "until": until,
                    "by_user_id": conn.user_id,
                    "reason": reason,
                    "created_at": now_utc(),
                },
            )
        )
        entry = audit.record(s, conn, "mute", body.public_id, minutes=body.minutes, reason=reason)
        await s.flush()
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.state(conn.session_id, "mute", p=body.public_id, until=until.isoformat())
    await ctx.broadcast.person(
        conn.session_id, body.public_id, EV_CHAT_MUTED, {"until": iso_ms(until), "reason": reason}
    )
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"public_id": body.public_id, "until": iso_ms(until)}


@router.on(EV_MOD_UNMUTE, PersonRef, roles=MODERATORS)
async def unmute(ctx: LiveContext, conn: Conn, body: PersonRef) -> dict[str, Any]:
    async with ctx.db.write() as s:
        target = await people.by_public_id(s, body.public_id)
        if target is None:
            raise LiveError(errors.NOT_FOUND, f"nobody has the id {body.public_id!r}")
        await s.execute(
            delete(Mute).where(Mute.session_id == conn.session_id, Mute.user_id == target.id)
        )
        entry = audit.record(s, conn, "unmute", body.public_id)
        await s.flush()
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.state(conn.session_id, "unmute", p=body.public_id)
    await ctx.broadcast.person(conn.session_id, body.public_id, EV_CHAT_UNMUTED, {})
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"public_id": body.public_id}


@router.on(EV_MOD_BAN, BanBody, roles=MODERATORS)
async def ban(ctx: LiveContext, conn: Conn, body: BanBody) -> dict[str, Any]:
    if body.public_id == conn.public_id:
        raise LiveError(errors.INVALID_TARGET, "you cannot ban yourself")
    reason = clean(body.reason, multiline=False)
    until = now_utc() + timedelta(minutes=body.minutes) if body.minutes else None
    async with ctx.db.read() as s:
        await people.moderation_target(s, body.public_id, conn.session_id)
    await revocation.ban(
        ctx.app,
        user_public_id=body.public_id,
        session_id=conn.session_id,
        by_user_id=conn.user_id,
        reason=reason,
        until=until,
    )
    await ctx.broadcast.kick(conn.session_id, body.public_id, "banned", BANNED_MESSAGE)
    async with ctx.db.write() as s:
        entry = audit.record(
            s,
            conn,
            "ban",
            body.public_id,
            reason=reason,
            until=iso_ms(until) if until else None,
        )
        await s.flush()
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"public_id": body.public_id, "until": iso_ms(until) if until else None}


@router.on(EV_MOD_PIN, MessageRef, roles=MODERATORS)
async def pin(ctx: LiveContext, conn: Conn, body: MessageRef) -> dict[str, Any]:
    async with ctx.db.read() as s:
        exists = await s.scalar(
            select(ChatMessage.id).where(
                ChatMessage.session_id == conn.session_id,
                ChatMessage.seq == body.seq,
                ChatMessage.deleted_at.is_(None),
            )
        )
    if exists is None:
        raise LiveError(errors.NOT_FOUND, f"message {body.seq} is not in this room")
    return await _change_room(
        ctx, conn, "pin", {"target_ref": f"chat:{body.seq}"}, pinned_seq=body.seq
    )


@router.on(EV_MOD_UNPIN, Empty, roles=MODERATORS)
async def unpin(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    return await _change_room(ctx, conn, "unpin", {}, pinned_seq=None)


@router.on(EV_MOD_SLOW_MODE, SlowMode, roles=MODERATORS)
async def slow_mode(ctx: LiveContext, conn: Conn, body: SlowMode) -> dict[str, Any]:
    return await _change_room(
        ctx, conn, "slow_mode", {"seconds": body.seconds}, slow_mode_seconds=body.seconds
    )


@router.on(EV_MOD_LOCK, Lock, roles=MODERATORS)
async def lock(ctx: LiveContext, conn: Conn, body: Lock) -> dict[str, Any]:
    action = "lock" if body.locked else "unlock"
    return await _change_room(ctx, conn, action, {}, locked=body.locked)


@router.on(EV_MOD_AUDIT, AuditQuery, roles=MODERATORS)
async def audit_log(ctx: LiveContext, conn: Conn, body: AuditQuery) -> dict[str, Any]:
    async with ctx.db.read() as s:
        rows = await audit.recent(s, conn.session_id, body.limit)
    return {"actions": [audit.wire(r) for r in rows]}


@router.on(EV_PRESENCE_ROSTER, Empty, roles=MODERATORS)
async def roster(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    people_here = await ctx.presence.roster(conn.session_id)
    return {"people": people_here, "count": len(people_here)}
