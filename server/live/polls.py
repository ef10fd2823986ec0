"""Polls: moderators create, open and close; everyone votes once; tallies go out live.

Votes are batched like chat. Tallies are pushed throttled (``poll:tally`` at most
every ``TALLY_INTERVAL`` per poll per node) and carry the vote total, so a client
keeps the tally with the highest total if two nodes' pushes cross.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.fields import MAX_ID
from server.db.engine import Database
from server.db.tables_live import Poll, PollOption, PollVote
from server.live import audit, errors
from server.live.errors import LiveError
from server.live.routing import MODERATORS, Empty, Payload, Router
from server.live.sql import insert_ignore, iso_ms, now_utc
from server.live.store import WriteOp
from server.live.text import clean
from server.names import (
    EV_MOD_ACTION,
    EV_POLL_CLOSE,
    EV_POLL_CREATE,
    EV_POLL_LIST,
    EV_POLL_OPEN,
    EV_POLL_TALLY,
    EV_POLL_UPDATED,
    EV_POLL_VOTE,
)

if TYPE_CHECKING:
    from server.live.broadcast import Broadcaster
    from server.live.conn import Conn
    from server.live.context import LiveContext

router = Router()

TALLY_INTERVAL = 0.25
MAX_OPTIONS = 10


def poll_wire(poll: Poll, options: Sequence[PollOption]) -> dict[str, Any]:
    ordered = sorted(options, key=lambda o: o.position)
    return {
        "id": poll.id,
        "question": poll.question,
        "state": poll.state,
        "options": [{"id": o.id, "text": o.text, "votes": o.votes} for o in ordered],
        "total": sum(o.votes for o in ordered),
        "v": poll.version,
        "opened_at": iso_ms(poll.opened_at) if poll.opened_at else None,
        "closed_at": iso_ms(poll.closed_at) if poll.closed_at else None,
    }


class Tallies:
    """Trailing-edge throttle: the newest tally of a poll, sent at most every interval."""

    def __init__(self, db: Database, broadcast: Broadcaster, interval: float = TALLY_INTERVAL):
        self._db = db
        self._broadcast = broadcast
        self._interval = interval
        self._due: dict[int, int] = {}  # poll id -> session id
        self._tasks: set[asyncio.Task[None]] = set()

    def touch(self, session_id: int, poll_id: int) -> None:
        if poll_id in self._due:
            return
        self._due[poll_id] = session_id
        task = asyncio.create_task(self._send_later(poll_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_later(self, poll_id: int) -> None:
        await asyncio.sleep(self._interval)
        session_id = self._due.pop(poll_id)
        async with self._db.read() as s:
            options = list(await s.scalars(select(PollOption).where(PollOption.poll_id == poll_id)))
        counts = {str(o.id): o.votes for o in options}
        await self._broadcast.room(
            session_id,
            EV_POLL_TALLY,
            {"poll_id": poll_id, "counts": counts, "total": sum(counts.values())},
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


class CreatePoll(Payload):
    question: str = Field(min_length=1, max_length=500)
    options: list[str] = Field(min_length=2, max_length=MAX_OPTIONS)
    open: bool = False

    @field_validator("options")
    @classmethod
    def _options(cls, options: list[str]) -> list[str]:
        cleaned = [clean(o, multiline=False) for o in options]
        if any(not o or len(o) > 200 for o in cleaned):
            raise ValueError("each option needs 1 to 200 characters")
        if len({o.casefold() for o in cleaned}) != len(cleaned):
            raise ValueError("options must differ")
        return cleaned


class PollRef(Payload):
    poll_id: int = Field(ge=1, le=MAX_ID)  # a bigger number is no row (and overflows SQL)


class Vote(PollRef):
    option_id: int = Field(ge=1, le=MAX_ID)


@dataclass(eq=False)
class PollVoteWrite(WriteOp[str]):
    """Returns "ok", "already_voted", "not_open" or "not_found"."""

    tallies: Tallies
    session_id: int
    user_id: int
    poll_id: int
    option_id: int

    async def apply(self, s: AsyncSession) -> str:
        state = await s.scalar(
            select(Poll.state).where(Poll.id == self.poll_id, Poll.session_id == self.session_id)
        )
        if state is None:
            return "not_found"
        if state != "open":
            return "not_open"
        option = await s.scalar(
            select(PollOption.id).where(
                PollOption.id == self.option_id, PollOption.poll_id == self.poll_id
            )
        )
        if option is None:
            return "not_found"
        inserted = await s.scalar(
            insert_ignore(
                s,
                PollVote.__table__,
                {
                    "poll_id": self.poll_id,
                    "user_id": self.user_id,
                    "option_id": self.option_id,
                    "created_at": now_utc(),
                },
            ).returning(PollVote.poll_id)
        )
        if inserted is None:
            return "already_voted"
        await s.execute(
            update(PollOption)
            .where(PollOption.id == self.option_id)
            .values(votes=PollOption.votes + 1)
        )
        return "ok"

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        for op, outcome in zip(ops, results, strict=True):
            assert isinstance(op, PollVoteWrite)
            if outcome == "ok":
                op.tallies.touch(op.session_id, op.poll_id)


async def _load(s: AsyncSession, session_id: int, poll_id: int) -> tuple[Poll, list[PollOption]]:
    poll = await s.scalar(select(Poll).where(Poll.id == poll_id, Poll.session_id == session_id))
    if poll is None:
        raise LiveError(errors.NOT_FOUND, f"poll {poll_id} is not in this room")
    options = list(await s.scalars(select(PollOption).where(PollOption.poll_id == poll_id)))
    return poll, options


async def _announce(ctx: LiveContext, conn: Conn, poll: dict[str, Any], logged: Any) -> None:
    if poll["state"] == "draft":
        await ctx.broadcast.moderators(conn.session_id, EV_POLL_UPDATED, {"poll": poll})
    else:
        await ctx.broadcast.room(conn.session_id, EV_POLL_UPDATED, {"poll": poll})
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)


@router.on(EV_POLL_CREATE, CreatePoll, roles=MODERATORS)
async def create(ctx: LiveContext, conn: Conn, body: CreatePoll) -> dict[str, Any]:
    question = clean(body.question)
    if not question:
        raise LiveError(errors.EMPTY, "the question is empty")
    now = now_utc()
    async with ctx.db.write() as s:
        poll = Poll(
            session_id=conn.session_id,
            question=question,
            state="open" if body.open else "draft",
            created_by=conn.user_id,
            version=1,
            created_at=now,
            opened_at=now if body.open else None,
        )
        s.add(poll)
        await s.flush()
        options = [
            PollOption(poll_id=poll.id, position=i, text=text, votes=0)
            for i, text in enumerate(body.options)
        ]
        s.add_all(options)
        entry = audit.record(s, conn, "poll_create", target_ref=f"poll:{poll.id}", open=body.open)
        await s.flush()
        wire = poll_wire(poll, options)
        logged = audit.wire(entry, conn.name)
    await _announce(ctx, conn, wire, logged)
    return {"poll": wire}


async def _transition(ctx: LiveContext, conn: Conn, poll_id: int, to: str) -> dict[str, Any]:
    allowed_from = {"open": ("draft",), "closed": ("open",)}[to]
    async with ctx.db.write() as s:
        poll, options = await _load(s, conn.session_id, poll_id)
        if poll.state not in allowed_from:
            verb = "opened" if to == "open" else "closed"
            raise LiveError(errors.INVALID_STATE, f"a {poll.state} poll cannot be {verb}")
        poll.state = to
        poll.version += 1
        if to == "open":
            poll.opened_at = now_utc()
        else:
            poll.closed_at = now_utc()
        entry = audit.record(
            s, conn, f"poll_{'open' if to == 'open' else 'close'}", target_ref=f"poll:{poll.id}"
        )
        await s.flush()
        wire = poll_wire(poll, options)
        logged = audit.wire(entry, conn.name)
    await _announce(ctx, conn, wire, logged)
    return {"poll": wire}


@router.on(EV_POLL_OPEN, PollRef, roles=MODERATORS)
async def open_poll(ctx: LiveContext, conn: Conn, body: PollRef) -> dict[str, Any]:
    return await _transition(ctx, conn, body.poll_id, "open")


@router.on(EV_POLL_CLOSE, PollRef, roles=MODERATORS)
async def close_poll(ctx: LiveContext, conn: Conn, body: PollRef) -> dict[str, Any]:
    return await _transition(ctx, conn, body.poll_id, "closed")


@router.on(EV_POLL_VOTE, Vote)
async def vote(ctx: LiveContext, conn: Conn, body: Vote) -> dict[str, Any]:
    outcome = await ctx.writer.submit(
        PollVoteWrite(ctx.tallies, conn.session_id, conn.user_id, body.poll_id, body.option_id)
    )
    if outcome == "not_found":
        raise LiveError(errors.NOT_FOUND, "no such poll or option in this room")
    if outcome == "not_open":
        raise LiveError(errors.POLL_NOT_OPEN, "this poll is not open for votes")
    if outcome == "already_voted":
        raise LiveError(errors.ALREADY_VOTED, "you have voted in this poll already")
    return {"poll_id": body.poll_id, "option_id": body.option_id}


@router.on(EV_POLL_LIST, Empty)
async def list_polls(ctx: LiveContext, conn: Conn, body: Empty) -> dict[str, Any]:
    async with ctx.db.read() as s:
        query = select(Poll).where(Poll.session_id == conn.session_id).order_by(Poll.id)
        if not conn.is_moderator:
            query = query.where(Poll.state != "draft")
        polls = list(await s.scalars(query))
        ids = [p.id for p in polls]
        options = (
            list(await s.scalars(select(PollOption).where(PollOption.poll_id.in_(ids))))
            if ids
            else []
        )
        mine = (
            dict(
                (
                    await s.execute(
                        select(PollVote.poll_id, PollVote.option_id).where(
                            PollVote.user_id == conn.user_id, PollVote.poll_id.in_(ids)
                        )
                    )
                ).all()
            )
            if ids
            else {}
        )
    by_poll: dict[int, list[PollOption]] = {}
    for option in options:
        by_poll.setdefault(option.poll_id, []).append(option)
    return {
        "polls": [poll_wire(p, by_poll.get(p.id, [])) for p in polls],
        "my_votes": {str(k): v for k, v in mine.items()},
    }
