"""Idempotent, recorded lifecycle transitions, and the push that tells every client.

A transition is ``UPDATE sessions SET state = :to WHERE id = :id AND state = :from
AND version = :version`` plus a ``session_transitions`` row, in the same
transaction (sessions falling due together share one: ``(id, version) IN (…)``).
The ``state`` condition makes a second attempt (another scheduler, a retried
job, catch-up racing a timer) match nothing; the ``version`` condition makes a
decision taken on a programme that has since moved (extend, reschedule) match
nothing too, so it is re-planned instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.leader import Authority, NotLeader
from server.db.engine import Database
from server.db.tables import Session
from server.db.tables_scheduler import SessionTransition
from server.domain.lifecycle import FINAL, PATH, Leads, Step, missed_steps
from server.domain.timezones import iso_utc
from server.live.push import Pusher
from server.names import EV_SESSION_STATE

log = logging.getLogger(__name__)

Cause = Literal["timer", "catch-up", "moderator"]
Action = Literal["advance", "start_early", "extend", "end_now"]
Clock = Callable[[], datetime]
OPEN_STATES: tuple[str, ...] = tuple(s for s in PATH if s not in FINAL)
_RANK = {state: i for i, state in enumerate(PATH)}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Timing:
    """The columns that decide a session's lifecycle."""

    id: int
    state: str
    start_utc: datetime
    end_utc: datetime
    version: int


_TIMING = (Session.id, Session.state, Session.start_utc, Session.end_utc, Session.version)


async def load_timing(s: AsyncSession, session_id: int) -> Timing | None:
    row = (await s.execute(select(*_TIMING).where(Session.id == session_id))).one_or_none()
    return None if row is None else Timing(*row)


async def load_timings(s: AsyncSession, ids: list[int]) -> list[Timing]:
    rows = await s.execute(select(*_TIMING).where(Session.id.in_(ids)))
    return [Timing(*row) for row in rows]


async def load_open(s: AsyncSession) -> list[Timing]:
    """Every session that still has a transition ahead of it."""
    rows = await s.execute(select(*_TIMING).where(Session.state.in_(OPEN_STATES)))
    return [Timing(*row) for row in rows]


@dataclass(frozen=True)
class Applied:
    """A committed lifecycle action, as pushed to clients."""

    session_id: int
    from_state: str
    to_state: str
    at: datetime
    cause: Cause
    start_utc: datetime
    end_utc: datetime
    due_at: datetime | None = None
    action: Action = "advance"
    detail: dict[str, Any] = field(default_factory=dict)
    record_id: int | None = None  # the session_transitions row, once flushed

    def payload(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "from": self.from_state,
            "to": self.to_state,
            "at": iso_utc(self.at),
            "cause": self.cause,
            "action": self.action,
            "start_utc": iso_utc(self.start_utc),
            "end_utc": iso_utc(self.end_utc),
        }


async def push_applied(pusher: Pusher, applied: Applied) -> None:
    """To the agenda channel and the session's room. A failed push never undoes the commit."""
    payload = applied.payload()
    try:
        # Reaches the agenda page and every /live client (they all sit in the agenda room).
        await pusher.agenda(EV_SESSION_STATE, payload)
    except Exception:
        log.exception("push of %s → %s for session %s failed", *payload.values())


def add_record(
    s: AsyncSession,
    applied: Applied,
    *,
    by_user_id: int | None = None,
    token: int | None = None,
) -> SessionTransition:
    record = SessionTransition(
        session_id=applied.session_id,
        from_state=applied.from_state,
        to_state=applied.to_state,
        at=applied.at,
        due_at=applied.due_at,
        cause=applied.cause,
        action=applied.action,
        by_user_id=by_user_id,
        fencing_token=token,
        detail=applied.detail,
    )
    s.add(record)
    return record


@dataclass
class Batch:
    """What one write transaction did, and where each session it looked at now stands."""

    applied: list[Applied] = field(default_factory=list)
    timings: dict[int, Timing] = field(default_factory=dict)  # after the batch
    gone: set[int] = field(default_factory=set)  # deleted sessions
    stale: set[int] = field(default_factory=set)  # changed under us: read them again


def _step_order(pair: tuple[Step, Timing]) -> tuple[datetime, int, int]:
    step, t = pair
    return step.due, _RANK[step.to_state], t.id


class Transitions:
    """The scheduler's write path: timer steps and catch-up, fenced by ``authority``.

    Every write goes through one in-process lock, in batches: the timers that fall
    due in the same instant (25 rooms opening at 10:00) share one transaction, one
    fencing check and one commit, instead of queueing 25 of each.
    """

    # Sessions per transaction: bounded so a huge catch-up commits as it goes, and
    # under SQLite's limit on bound parameters.
    BATCH = 400

    def __init__(
        self,
        db: Database,
        pusher: Pusher,
        authority: Authority,
        leads: Leads,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.pusher = pusher
        self.authority = authority
        self.leads = leads
        self.clock = clock
        self._lock = asyncio.Lock()
        # Pushes leave through one ordered queue: a slow fan-out (thousands of listeners)
        # must not hold the next batch's commit back. Clients still hear every
        # transition, in commit order.
        self._outbox: asyncio.Queue[Applied] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        # Told how late each timed transition was applied (the scheduler_lag metric).
        self.lag_observer: Callable[[float], None] | None = None

    async def _commit_steps(
        self,
        s: AsyncSession,
        pending: list[tuple[Step, Timing]],
        cause_of: Callable[[Step, Timing], Cause],
        batch: Batch,
    ) -> None:
        """Apply ``pending`` (in due order) in ``s``; the caller's block commits.

        One ``UPDATE … RETURNING`` per kind of step and round (a session's second
        missed step is in the second round), not one per session: a burst of 25
        sessions opening at once costs a handful of round trips to the database.
        """
        if not self.authority.may_act():
            raise NotLeader("not the scheduler leader")
        steps_of: dict[int, list[tuple[Step, Timing]]] = {}
        for step, t in pending:
            steps_of.setdefault(t.id, []).append((step, t))
        done: set[tuple[int, str]] = set()
        for depth in range(max((len(v) for v in steps_of.values()), default=0)):
            kinds: dict[tuple[str, str], list[Timing]] = {}
            for steps in steps_of.values():
                if depth < len(steps) and (
                    depth == 0 or (steps[0][1].id, steps[depth - 1][0].to_state) in done
                ):
                    step, t = steps[depth]
                    kinds.setdefault((step.from_state, step.to_state), []).append(t)
            for (from_state, to_state), rows in kinds.items():
                result = await s.execute(
                    update(Session)
                    .where(
                        tuple_(Session.id, Session.version).in_([(t.id, t.version) for t in rows]),
                        Session.state == from_state,
                    )
                    .values(state=to_state)
                    .returning(Session.id)
                    .execution_options(synchronize_session=False)
                )
                moved = set(result.scalars())
                for t in rows:
                    if t.id in moved:
                        done.add((t.id, to_state))
                    else:
                        # Applied already, or the programme moved: its later steps wait too.
                        batch.stale.add(t.id)
        at = self.clock()
        token = self.authority.token
        for step, t in pending:  # records in due order, so their ids are too
            if (t.id, step.to_state) not in done:
                continue
            applied = Applied(
                session_id=t.id,
                from_state=step.from_state,
                to_state=step.to_state,
                at=at,
                cause=cause_of(step, t),
                start_utc=t.start_utc,
                end_utc=t.end_utc,
                due_at=step.due,
            )
            add_record(s, applied, token=token)
            batch.applied.append(applied)
            batch.timings[t.id] = Timing(t.id, step.to_state, t.start_utc, t.end_utc, t.version)
        if batch.applied:
            await s.flush()
            await self.authority.guard(s)  # raises: the whole transaction rolls back

    async def _push(self, batch: Batch) -> None:
        for applied in batch.applied:
            if self.lag_observer is not None and applied.due_at is not None:
                self.lag_observer((applied.at - applied.due_at).total_seconds())
            self._outbox.put_nowait(applied)
        if batch.applied and (self._sender is None or self._sender.done()):
            self._sender = asyncio.create_task(self._send_all(), name="scheduler-pushes")

    async def _send_all(self) -> None:
        while True:
            applied = await self._outbox.get()
            try:
                await push_applied(self.pusher, applied)
            finally:
                self._outbox.task_done()

    async def close(self, drain_seconds: float = 5.0) -> None:
        """Deliver what is queued (within reason), then stop the sender."""
        if self._sender is None:
            return
        try:
            await asyncio.wait_for(self._outbox.join(), drain_seconds)
        except TimeoutError:
            log.warning("%d transition pushes were not sent before stopping", self._outbox.qsize())
        self._sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sender
        self._sender = None

    async def advance_many(self, due: dict[int, str | None]) -> Batch:
        """Apply every step the clock says is due for these sessions, in order.

        ``due`` maps a session to the state its timer fired for (or None): that
        step's cause is ``timer``; any other step found missed is ``catch-up``.
        """
        batch = Batch()
        ids = sorted(due)
        async with self._lock:
            for i in range(0, len(ids), self.BATCH):
                chunk = ids[i : i + self.BATCH]
                async with self.db.write() as s:
                    rows = {t.id: t for t in await load_timings(s, chunk)}
                    batch.gone.update(sid for sid in chunk if sid not in rows)
                    batch.timings.update(rows)
                    now = self.clock()
                    pending = sorted(
                        (
                            (step, t)
                            for t in rows.values()
                            for step in missed_steps(
                                t.state, now, t.start_utc, t.end_utc, self.leads
                            )
                        ),
                        key=_step_order,
                    )
                    await self._commit_steps(
                        s,
                        pending,
                        lambda step, t: "timer" if due.get(t.id) == step.to_state else "catch-up",
                        batch,
                    )
        await self._push(batch)
        return batch

    async def advance(self, session_id: int, timer_for: str | None = None) -> list[Applied]:
        return (await self.advance_many({session_id: timer_for})).applied

    async def catch_up_all(self) -> list[Applied]:
        """Every missed step of every session, oldest due first, each exactly once."""
        now = self.clock()
        async with self.db.read() as s:
            rows = await load_open(s)
        pending = sorted(
            (
                (step, t)
                for t in rows
                for step in missed_steps(t.state, now, t.start_utc, t.end_utc, self.leads)
            ),
            key=_step_order,
        )
        done: list[Applied] = []
        async with self._lock:
            # In global due order, a bounded number of steps per transaction; a session's
            # later steps may land in a later transaction, after its earlier ones committed.
            for i in range(0, len(pending), self.BATCH):
                batch = Batch()
                async with self.db.write() as s:
                    await self._commit_steps(
                        s, pending[i : i + self.BATCH], lambda step, t: "catch-up", batch
                    )
                await self._push(batch)
                done.extend(batch.applied)
        if done:
            log.info("catch-up applied %d missed transitions", len(done))
        return done
