"""Chat: plain text, per-room sequence numbers, durable before it is acknowledged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables_live import ChatMessage, LiveRoom
from server.live import errors
from server.live.errors import LiveError
from server.live.routing import Payload, Router
from server.live.sql import iso_ms, now_utc
from server.live.store import WriteOp
from server.live.text import clean
from server.names import EV_CHAT_MESSAGE, EV_CHAT_SEND, rate_key, slow_mode_key

if TYPE_CHECKING:
    from server.live.broadcast import Broadcaster
    from server.live.conn import Conn
    from server.live.context import LiveContext

router = Router()


class ChatSend(Payload):
    # The frame limit bounds it too; this keeps a clear error for long but legal frames.
    text: str = Field(max_length=20_000)


@dataclass(eq=False)
class ChatWrite(WriteOp[dict[str, Any]]):
    """One message; a batch takes its sequence numbers with one counter update per room."""

    broadcast: Broadcaster
    session_id: int
    user_id: int
    author: dict[str, str]
    text: str

    @classmethod
    async def apply_group(cls, s: AsyncSession, ops: Sequence[WriteOp[Any]]) -> list[Any]:
        chats: list[ChatWrite] = [op for op in ops if isinstance(op, ChatWrite)]
        by_room: dict[int, list[int]] = defaultdict(list)
        for i, op in enumerate(chats):
            by_room[op.session_id].append(i)
        results: list[dict[str, Any] | None] = [None] * len(chats)
        rows: list[dict[str, Any]] = []
        now = now_utc()
        # Rooms in id order: two nodes' batches lock room counters in the same order.
        for session_id in sorted(by_room):
            indexes = by_room[session_id]
            last = await s.scalar(
                update(LiveRoom)
                .where(LiveRoom.session_id == session_id)
                .values(last_seq=LiveRoom.last_seq + len(indexes))
                .returning(LiveRoom.last_seq)
                .execution_options(synchronize_session=False)
            )
            if last is None:
                raise LiveError(errors.UNAVAILABLE, "this room is not open for chat")
            first = last - len(indexes) + 1
            for offset, i in enumerate(indexes):
                op = chats[i]
                seq = first + offset
                rows.append(
                    {
                        "session_id": session_id,
                        "seq": seq,
                        "user_id": op.user_id,
                        "author_public_id": op.author["public_id"],
                        "author_name": op.author["name"],
                        "author_role": op.author["role"],
                        "text": op.text,
                        "created_at": now,
                    }
                )
                results[i] = {"seq": seq, "text": op.text, "author": op.author, "at": iso_ms(now)}
        await s.execute(insert(ChatMessage), rows)
        return results

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        chats = [op for op in ops if isinstance(op, ChatWrite)]
        if not chats:
            return
        by_room: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for op, message in zip(chats, results, strict=True):
            by_room[op.session_id].append(message)
        broadcast = chats[0].broadcast
        for session_id, messages in by_room.items():
            messages.sort(key=lambda m: m["seq"])
            await broadcast.room_many(session_id, [(EV_CHAT_MESSAGE, m) for m in messages])


async def check_may_post(ctx: LiveContext, conn: Conn) -> None:
    """Lock, mute and slow mode (moderators are exempt), then the person's rate limit."""
    room = ctx.rooms.get(conn.session_id)
    if room is None:
        raise LiveError(errors.NOT_CONNECTED, "you are not in this room")
    settings = ctx.settings
    if not conn.is_moderator:
        if room.settings.locked:
            raise LiveError(errors.CHAT_LOCKED, "the chat is locked by the moderators")
        until = room.muted_until(conn.public_id)
        if until is not None:
            raise LiveError(errors.MUTED, "you are muted in this room", until=iso_ms(until))
    decision = await ctx.limiter.take(
        rate_key("chat", conn.session_id, conn.public_id),
        settings.live_chat_rate_per_second,
        settings.live_chat_burst,
    )
    if not decision.allowed:
        raise LiveError(
            errors.RATE_LIMITED,
            "you are sending messages too fast",
            retry_after_ms=decision.retry_after_ms,
        )
    slow = room.settings.slow_mode_seconds
    if slow > 0 and not conn.is_moderator:
        wait = await ctx.limiter.cooldown(slow_mode_key(conn.session_id, conn.public_id), slow)
        if not wait.allowed:
            raise LiveError(
                errors.SLOW_MODE,
                f"slow mode: one message every {slow} s",
                retry_after_ms=wait.retry_after_ms,
            )


@router.on(EV_CHAT_SEND, ChatSend)
async def send(ctx: LiveContext, conn: Conn, body: ChatSend) -> dict[str, Any]:
    text = clean(body.text)
    if not text:
        raise LiveError(errors.EMPTY, "the message is empty")
    limit = ctx.settings.live_chat_max_chars
    if len(text) > limit:
        raise LiveError(errors.TOO_LONG, f"at most {limit} characters", max_chars=limit)
    await check_may_post(ctx, conn)
    message = await ctx.writer.submit(
        ChatWrite(ctx.broadcast, conn.session_id, conn.user_id, conn.person(), text)
    )
    return {"seq": message["seq"], "at": message["at"]}
