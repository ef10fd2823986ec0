"""Q&A: ask, upvote once, moderators answer, dismiss and pin; sorted by votes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.fields import MAX_ID
from server.db.tables_live import Question, QuestionVote
from server.live import audit, errors
from server.live.errors import LiveError
from server.live.routing import MODERATORS, Payload, Router
from server.live.sql import insert_ignore, iso_ms, now_utc
from server.live.store import WriteOp
from server.live.text import clean
from server.names import (
    EV_MOD_ACTION,
    EV_QA_ANSWER,
    EV_QA_ASK,
    EV_QA_DISMISS,
    EV_QA_LIST,
    EV_QA_PIN,
    EV_QA_QUESTION,
    EV_QA_UPVOTE,
    rate_key,
)

if TYPE_CHECKING:
    from server.live.broadcast import Broadcaster
    from server.live.conn import Conn
    from server.live.context import LiveContext

router = Router()

MAX_QUESTION_CHARS = 1000


def question_wire(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "text": q.text,
        "author": {"public_id": q.author_public_id, "name": q.author_name},
        "votes": q.votes,
        "state": q.state,
        "answer": q.answer,
        "pinned": q.pinned,
        "v": q.version,
        "at": iso_ms(q.created_at),
    }


def sort_key(q: dict[str, Any]) -> tuple[int, int, int]:
    """Pinned first, then most votes, then oldest."""
    return (0 if q["pinned"] else 1, -q["votes"], q["id"])


class Ask(Payload):
    text: str = Field(max_length=20_000)


class QuestionRef(Payload):
    question_id: int = Field(ge=1, le=MAX_ID)  # a bigger number is no row (and overflows SQL)


class Answer(QuestionRef):
    answer: str | None = Field(default=None, max_length=20_000)


class Pin(QuestionRef):
    pinned: bool = True


class ListQuestions(Payload):
    include_dismissed: bool = False


@dataclass(eq=False)
class AskWrite(WriteOp[dict[str, Any]]):
    broadcast: Broadcaster
    conn_session: int
    user_id: int
    public_id: str
    name: str
    text: str

    async def apply(self, s: AsyncSession) -> dict[str, Any]:
        now = now_utc()
        q = Question(
            session_id=self.conn_session,
            user_id=self.user_id,
            author_public_id=self.public_id,
            author_name=self.name,
            text=self.text,
            votes=0,
            state="open",
            pinned=False,
            version=1,
            created_at=now,
            updated_at=now,
        )
        s.add(q)
        await s.flush()
        return question_wire(q)

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        for op, question in zip(ops, results, strict=True):
            assert isinstance(op, AskWrite)
            await op.broadcast.room(op.conn_session, EV_QA_QUESTION, {"question": question})


@dataclass(eq=False)
class VoteWrite(WriteOp[tuple[str, dict[str, Any] | None]]):
    """Returns ("ok", question) | ("already_voted", None) | ("not_found", None)."""

    broadcast: Broadcaster
    session_id: int
    user_id: int
    question_id: int

    async def apply(self, s: AsyncSession) -> tuple[str, dict[str, Any] | None]:
        state = await s.scalar(
            select(Question.state).where(
                Question.id == self.question_id, Question.session_id == self.session_id
            )
        )
        if state is None or state == "dismissed":
            return ("not_found", None)
        inserted = await s.scalar(
            insert_ignore(
                s,
                QuestionVote.__table__,
                {"question_id": self.question_id, "user_id": self.user_id, "created_at": now_utc()},
            ).returning(QuestionVote.question_id)
        )
        if inserted is None:
            return ("already_voted", None)
        await s.execute(
            update(Question)
            .where(Question.id == self.question_id)
            .values(votes=Question.votes + 1, version=Question.version + 1, updated_at=now_utc())
        )
        q = await s.scalar(
            select(Question)
            .where(Question.id == self.question_id)
            .execution_options(populate_existing=True)
        )
        assert q is not None
        return ("ok", question_wire(q))

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        # Many votes in one batch: announce each question once, at its newest version.
        latest: dict[int, tuple[VoteWrite, dict[str, Any]]] = {}
        for op, (outcome, question) in zip(ops, results, strict=True):
            assert isinstance(op, VoteWrite)
            if outcome == "ok" and question is not None:
                seen = latest.get(question["id"])
                if seen is None or seen[1]["v"] < question["v"]:
                    latest[question["id"]] = (op, question)
        for op, question in latest.values():
            await op.broadcast.room(op.session_id, EV_QA_QUESTION, {"question": question})


@router.on(EV_QA_ASK, Ask)
async def ask(ctx: LiveContext, conn: Conn, body: Ask) -> dict[str, Any]:
    text = clean(body.text)
    if not text:
        raise LiveError(errors.EMPTY, "the question is empty")
    if len(text) > MAX_QUESTION_CHARS:
        raise LiveError(
            errors.TOO_LONG,
            f"at most {MAX_QUESTION_CHARS} characters",
            max_chars=MAX_QUESTION_CHARS,
        )
    room = ctx.rooms.get(conn.session_id)
    if room is not None and not conn.is_moderator:
        until = room.muted_until(conn.public_id)
        if until is not None:
            raise LiveError(errors.MUTED, "you are muted in this room", until=iso_ms(until))
    decision = await ctx.limiter.take(
        rate_key("qa", conn.session_id, conn.public_id),
        ctx.settings.live_qa_rate_per_minute / 60,
        ctx.settings.live_qa_burst,
    )
    if not decision.allowed:
        raise LiveError(
            errors.RATE_LIMITED, "you are asking too fast", retry_after_ms=decision.retry_after_ms
        )
    question = await ctx.writer.submit(
        AskWrite(ctx.broadcast, conn.session_id, conn.user_id, conn.public_id, conn.name, text)
    )
    return {"question": question}


@router.on(EV_QA_UPVOTE, QuestionRef)
async def upvote(ctx: LiveContext, conn: Conn, body: QuestionRef) -> dict[str, Any]:
    outcome, question = await ctx.writer.submit(
        VoteWrite(ctx.broadcast, conn.session_id, conn.user_id, body.question_id)
    )
    if outcome == "not_found":
        raise LiveError(errors.NOT_FOUND, f"question {body.question_id} is not in this room")
    if outcome == "already_voted":
        raise LiveError(errors.ALREADY_VOTED, "you have upvoted this question already")
    return {"question": question}


@router.on(EV_QA_LIST, ListQuestions)
async def list_questions(ctx: LiveContext, conn: Conn, body: ListQuestions) -> dict[str, Any]:
    include_dismissed = body.include_dismissed and conn.is_moderator
    async with ctx.db.read() as s:
        query = select(Question).where(Question.session_id == conn.session_id)
        if not include_dismissed:
            query = query.where(Question.state != "dismissed")
        questions = [question_wire(q) for q in await s.scalars(query)]
        voted = list(
            await s.scalars(
                select(QuestionVote.question_id)
                .join(Question, Question.id == QuestionVote.question_id)
                .where(Question.session_id == conn.session_id, QuestionVote.user_id == conn.user_id)
            )
        )
    questions.sort(key=sort_key)
    return {"questions": questions, "voted": sorted(voted)}


async def _moderate(
    ctx: LiveContext, conn: Conn, question_id: int, action: str, **values: Any
) -> dict[str, Any]:
    async with ctx.db.write() as s:
        q = await s.scalar(
            select(Question).where(
                Question.id == question_id, Question.session_id == conn.session_id
            )
        )
        if q is None:
            raise LiveError(errors.NOT_FOUND, f"question {question_id} is not in this room")
        for name, value in values.items():
            setattr(q, name, value)
        q.version += 1
        q.updated_at = now_utc()
        entry = audit.record(
            s,
            conn,
            action,
            q.author_public_id,
            f"question:{q.id}",
            **{k: v for k, v in values.items() if k != "state"},
        )
        await s.flush()
        question = question_wire(q)
        logged = audit.wire(entry, conn.name)
    await ctx.broadcast.room(conn.session_id, EV_QA_QUESTION, {"question": question})
    await ctx.broadcast.moderators(conn.session_id, EV_MOD_ACTION, logged)
    return {"question": question}


@router.on(EV_QA_ANSWER, Answer, roles=MODERATORS)
async def answer(ctx: LiveContext, conn: Conn, body: Answer) -> dict[str, Any]:
    text = clean(body.answer) if body.answer else None
    return await _moderate(ctx, conn, body.question_id, "qa_answer", state="answered", answer=text)


@router.on(EV_QA_DISMISS, QuestionRef, roles=MODERATORS)
async def dismiss(ctx: LiveContext, conn: Conn, body: QuestionRef) -> dict[str, Any]:
    return await _moderate(
        ctx, conn, body.question_id, "qa_dismiss", state="dismissed", pinned=False
    )


@router.on(EV_QA_PIN, Pin, roles=MODERATORS)
async def pin(ctx: LiveContext, conn: Conn, body: Pin) -> dict[str, Any]:
    action = "qa_pin" if body.pinned else "qa_unpin"
    return await _moderate(ctx, conn, body.question_id, action, pinned=body.pinned)
