"""Timers derived from the sessions table: the table is the truth, jobs are a cache of it.

Each open session has at most two jobs in APScheduler's in-memory store:
``session:<id>:<to-state>`` for its *next* transition and ``reminder:<id>``.
A fired job applies what the clock says and plans the following one, so the
store never holds a stale later step. Jobs are thrown away and rebuilt from
the table whenever this process becomes the scheduler (start, leadership),
and a periodic resync re-reads the table in case a change notice was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.date import DateTrigger

from scheduler.fence import FenceLost
from scheduler.leader import NotLeader
from scheduler.reminders import Reminders
from scheduler.transitions import (
    Clock,
    Timing,
    Transitions,
    load_open,
    load_timing,
    load_timings,
    utcnow,
)
from server.db.engine import Database
from server.domain.lifecycle import PATH, Leads, missed_steps, next_step

log = logging.getLogger(__name__)

# Moments further ahead than this get no job yet; the resync plans them as they come
# within it. A forum's programme runs for months: this keeps the job store to the
# sessions of the next hours (and a rebuild fast), whatever the size of the programme.
HORIZON = timedelta(hours=6)
# A step whose write failed (database away) is tried again this much later.
RETRY_AFTER = timedelta(seconds=5)
# Yield to the event loop while planning thousands of sessions: the server keeps serving.
_YIELD_EVERY = 500


def step_job_id(session_id: int, to_state: str) -> str:
    return f"session:{session_id}:{to_state}"


def reminder_job_id(session_id: int) -> str:
    return f"reminder:{session_id}"


def make_aps() -> AsyncIOScheduler:
    """The APScheduler instance: UTC, in-memory store, late jobs always run.

    ``misfire_grace_time=None`` hands lateness to our own catch-up rules
    instead of letting APScheduler silently drop a late transition.
    """
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # one INFO line per job otherwise
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
    )


@dataclass(frozen=True)
class PlanKey:
    """What a plan was made from; a row that differs needs a new plan."""

    state: str
    start_utc: datetime
    end_utc: datetime
    version: int

    @classmethod
    def of(cls, t: Timing) -> PlanKey:
        return cls(t.state, t.start_utc, t.end_utc, t.version)


@dataclass(frozen=True)
class RebuildReport:
    sessions: int  # open sessions read
    jobs: int  # jobs planned (moments within the horizon)
    deferred: int  # sessions whose next moment lies beyond the horizon
    seconds: float


class Planner:
    def __init__(
        self,
        aps: AsyncIOScheduler,
        db: Database,
        transitions: Transitions,
        reminders: Reminders,
        leads: Leads,
        reminder_lead: timedelta | None,
        clock: Clock = utcnow,
        horizon: timedelta = HORIZON,
    ) -> None:
        self.aps = aps
        self.horizon = horizon
        self.db = db
        self.transitions = transitions
        self.reminders = reminders
        self.leads = leads
        self.reminder_lead = reminder_lead  # None: no reminders
        self.clock = clock
        self._plans: dict[int, PlanKey] = {}
        # Sessions with a moment beyond the horizon: when the first of them falls due.
        self._deferred: dict[int, datetime] = {}
        # Starts already announced by this process; the table (session_reminders) is the truth.
        self._reminded: dict[int, datetime] = {}
        self._due: dict[int, str] = {}  # timers fired, waiting for the next batch
        self._draining = False

    # -- planning -------------------------------------------------------------

    def plan(self, t: Timing, now: datetime, fresh: bool = False) -> None:
        """Make the jobs of one session match its row (synchronous: jobs only, no I/O).

        Only moments within the horizon get a job; later ones are remembered and
        planned by the resync that finds them inside it.
        """
        until = now + self.horizon
        later: list[datetime] = []
        step = next_step(t.state, t.start_utc, t.end_utc, self.leads)
        step_at = max(step.due, now) if step is not None else None
        if step_at is not None and step_at > until:
            later.append(step_at)
            step = None
        if not fresh:
            for state in PATH[1:]:
                if step is None or state != step.to_state:
                    self._remove(step_job_id(t.id, state))
        if step is not None and step_at is not None:
            self._add(
                _fire_step,
                step_job_id(t.id, step.to_state),
                step_at,
                (self, t.id, step.to_state),
                replace=not fresh,
            )
        remind_at = self._reminder_due(t, now)
        if remind_at is not None and remind_at > until:
            later.append(remind_at)
            remind_at = None
        if remind_at is not None:
            self._add(
                _fire_reminder, reminder_job_id(t.id), remind_at, (self, t.id), replace=not fresh
            )
        elif not fresh:
            self._remove(reminder_job_id(t.id))
        if later:
            self._deferred[t.id] = min(later)
        else:
            self._deferred.pop(t.id, None)
        if step is None and remind_at is None and not later:
            self._plans.pop(t.id, None)
        else:
            self._plans[t.id] = PlanKey.of(t)

    def _reminder_due(self, t: Timing, now: datetime) -> datetime | None:
        # Only before the start: a reminder for a session already running helps nobody.
        if self.reminder_lead is None or t.state not in ("scheduled", "lobby"):
            return None
        if now >= t.start_utc or self._reminded.get(t.id) == t.start_utc:
            return None
        return max(t.start_utc - self.reminder_lead, now)

    def unplan(self, session_id: int) -> None:
        for state in PATH[1:]:
            self._remove(step_job_id(session_id, state))
        self._remove(reminder_job_id(session_id))
        self._plans.pop(session_id, None)
        self._deferred.pop(session_id, None)

    def clear(self) -> None:
        self.aps.remove_all_jobs()
        self._plans.clear()
        self._deferred.clear()
        self._reminded.clear()

    def _add(
        self,
        func: Callable[..., Any],
        job_id: str,
        when: datetime,
        args: tuple[Any, ...],
        replace: bool,
    ) -> None:
        # Every job field given explicitly (and a module-level function with a cached
        # signature): APScheduler then skips its per-job introspection and defaulting,
        # which is most of the cost of planning thousands of sessions.
        self.aps.add_job(
            func,
            trigger=DateTrigger(run_date=when, timezone=UTC),
            next_run_time=when,
            id=job_id,
            name=job_id,
            args=args,
            coalesce=True,
            misfire_grace_time=None,
            max_instances=1,
            replace_existing=replace,
        )

    def _remove(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self.aps.remove_job(job_id)

    def jobs(self) -> dict[str, datetime]:
        """Job id -> when it runs (tests, diagnostics)."""
        return {job.id: job.next_run_time for job in self.aps.get_jobs()}

    async def rebuild(self) -> RebuildReport:
        """Forget every job and plan every open session again from the table."""
        started = time.perf_counter()
        async with self.db.read() as s:
            rows = await load_open(s)
        running = self.aps.state == STATE_RUNNING
        if running:
            self.aps.pause()  # no wake-up per added job; one at resume
        try:
            self.clear()
            now = self.clock()
            for i, t in enumerate(rows, 1):
                self.plan(t, now, fresh=True)
                if i % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
        finally:
            if running:
                self.aps.resume()
        report = RebuildReport(
            len(rows), len(self.aps.get_jobs()), len(self._deferred), time.perf_counter() - started
        )
        log.info(
            "planned %d jobs for %d open sessions in %.3f s (%d beyond the %s horizon)",
            report.jobs,
            report.sessions,
            report.seconds,
            report.deferred,
            self.horizon,
        )
        return report

    async def replan(self, session_id: int) -> None:
        """After a programme change or a fired job: catch up if behind, then plan what is next."""
        async with self.db.read() as s:
            t = await load_timing(s, session_id)
        if t is None:
            self.unplan(session_id)
            return
        if missed_steps(t.state, self.clock(), t.start_utc, t.end_utc, self.leads):
            await self.transitions.advance(session_id)
            async with self.db.read() as s:
                t = await load_timing(s, session_id)
            if t is None:
                self.unplan(session_id)
                return
        self.plan(t, self.clock())

    async def replan_many(self, session_ids: Iterable[int]) -> None:
        """``replan`` for a batch (an import): one read and one catch-up per chunk of sessions."""
        ids = sorted(set(session_ids))
        running = self.aps.state == STATE_RUNNING
        if running:
            self.aps.pause()  # no wake-up per added job; one at resume
        try:
            for i in range(0, len(ids), Transitions.BATCH):
                chunk = ids[i : i + Transitions.BATCH]
                async with self.db.read() as s:
                    rows = {t.id: t for t in await load_timings(s, chunk)}
                now = self.clock()
                behind = {
                    sid: None
                    for sid, t in rows.items()
                    if missed_steps(t.state, now, t.start_utc, t.end_utc, self.leads)
                }
                stale: set[int] = set()
                if behind:
                    batch = await self.transitions.advance_many(behind)
                    rows.update(batch.timings)
                    for sid in batch.gone:
                        rows.pop(sid, None)
                    stale = batch.stale
                now = self.clock()
                for n, sid in enumerate(chunk, 1):
                    if sid in stale:
                        await self.replan(sid)  # the programme moved under us: read it again
                    elif sid in rows:
                        self.plan(rows[sid], now)
                    else:
                        self.unplan(sid)
                    if n % _YIELD_EVERY == 0:
                        await asyncio.sleep(0)
        finally:
            if running:
                self.aps.resume()

    async def resync(self) -> int:
        """Re-read the table and re-plan every session whose row changed; returns how many."""
        async with self.db.read() as s:
            rows = {t.id: t for t in await load_open(s)}
        changed = 0
        for session_id in [sid for sid in self._plans if sid not in rows]:
            self.unplan(session_id)  # ended, cancelled or deleted behind our back
            changed += 1
        now = self.clock()
        until = now + self.horizon
        for t in rows.values():
            if self._plans.get(t.id) != PlanKey.of(t) or missed_steps(
                t.state, now, t.start_utc, t.end_utc, self.leads
            ):
                await self.replan(t.id)
                changed += 1
            elif t.id in self._deferred and self._deferred[t.id] <= until:
                self.plan(t, now)  # its moment came inside the horizon
                changed += 1
        return changed

    # -- jobs -----------------------------------------------------------------

    async def fire_step(self, session_id: int, to_state: str) -> None:
        """A timer fell due: queue its session; the first timer of the instant applies them all."""
        self._due[session_id] = to_state
        if self._draining:
            return
        self._draining = True
        try:
            await asyncio.sleep(0)  # the other timers of this instant queue first
            while self._due:
                due, self._due = self._due, {}
                await self._apply_due(due)
        finally:
            self._draining = False

    async def _apply_due(self, due: dict[int, str]) -> None:
        try:
            batch = await self.transitions.advance_many(dict(due))
        except (NotLeader, FenceLost) as exc:
            log.warning("%d due transitions not applied: %s", len(due), exc)
            return
        except Exception:
            log.exception("%d due transitions failed; retrying", len(due))
            retry_at = self.clock() + RETRY_AFTER
            for session_id, to_state in due.items():
                self._add(
                    _fire_step,
                    step_job_id(session_id, to_state),
                    retry_at,
                    (self, session_id, to_state),
                    replace=True,
                )
            return
        now = self.clock()
        for session_id in due:
            if session_id in batch.gone:
                self.unplan(session_id)
            elif session_id in batch.stale:
                await self.replan(session_id)  # the programme moved under us: read it again
            else:
                self.plan(batch.timings[session_id], now)

    async def fire_reminder(self, session_id: int) -> None:
        try:
            start = await self.reminders.send(session_id)
            if start is not None:
                self._reminded[session_id] = start
        except (NotLeader, FenceLost) as exc:
            log.warning("reminders for session %s not sent: %s", session_id, exc)
        except Exception:
            log.exception("reminders for session %s failed", session_id)


# Jobs call module-level functions (the planner is their first argument) whose
# signatures are computed once, here, instead of once per job by APScheduler.
async def _fire_step(planner: Planner, session_id: int, to_state: str) -> None:
    await planner.fire_step(session_id, to_state)


async def _fire_reminder(planner: Planner, session_id: int) -> None:
    await planner.fire_reminder(session_id)


for _job_func in (_fire_step, _fire_reminder):
    _job_func.__signature__ = inspect.signature(_job_func)  # type: ignore[attr-defined]
