"""The scheduler as one object: planner, transitions, reminders and (in cluster mode) the lease.

The same service runs inside ``forumlive serve`` (embedded) and as
``forumlive scheduler`` (cluster). Without Redis it is the only scheduler and
acts at once. With Redis every instance competes for the lease; the winner
claims its token in the database, catches up on everything missed, rebuilds
its timers and acts until it loses the lease or stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from datetime import timedelta

from redis.asyncio import Redis

from scheduler import fence
from scheduler.leader import Authority, Leader, Lease, Solo, instance_name
from scheduler.planner import HORIZON, Planner, make_aps
from scheduler.reminders import Reminders
from scheduler.transitions import Clock, Transitions, utcnow
from server.db.engine import Database
from server.domain.lifecycle import Leads
from server.live.push import Pusher
from server.mail import Mailer
from server.names import PROGRAMME_CHANNEL
from server.ops.metrics import Metrics
from server.programme.changes import SessionChange, changes_of
from server.settings import Settings

log = logging.getLogger(__name__)

TTL_SHARE = 0.8  # of ``scheduler_lease_seconds``: the Redis key's life; the rest is polling


class SchedulerService:
    def __init__(
        self,
        *,
        db: Database,
        pusher: Pusher,
        settings: Settings,
        redis: Redis | None = None,
        mailer: Mailer | None = None,
        instance: str | None = None,
        clock: Clock = utcnow,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.redis = redis
        self.instance = instance or instance_name()
        self.lease: Lease | None = None
        authority: Authority = Solo()
        if redis is not None:
            # The key lives 80% of the lease setting and followers look every 20%, so a
            # dead leader is replaced within ``scheduler_lease_seconds``.
            self.lease = Lease(redis, self.instance, settings.scheduler_lease_seconds * TTL_SHARE)
            authority = Leader(self.lease)
        self.authority = authority
        leads = Leads.of(settings)
        self.aps = make_aps()
        self.transitions = Transitions(db, pusher, authority, leads, clock)
        if metrics is not None:
            self.transitions.lag_observer = metrics.scheduler_lag.observe
            metrics.scheduler_leader.set_function(lambda: 1.0 if self.is_leader else 0.0)
        self.reminders = Reminders(db, pusher, mailer, authority, settings.public_url, clock)
        reminder_lead = (
            timedelta(minutes=settings.reminder_minutes) if settings.reminder_minutes > 0 else None
        )
        # The resync is what brings later moments inside the horizon: it must come round
        # several times before the horizon's far end is due.
        horizon = max(HORIZON, timedelta(seconds=3 * settings.scheduler_resync_seconds))
        self.planner = Planner(
            self.aps, db, self.transitions, self.reminders, leads, reminder_lead, clock, horizon
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._leading = False
        self._lead_task: asyncio.Task[None] | None = None  # taking over (cluster mode)
        self._pending: set[int] = set()  # changed while taking over: re-plan after the rebuild
        self.ready = asyncio.Event()  # set once this instance has caught up and planned

    @property
    def is_leader(self) -> bool:
        return self._leading and self.authority.may_act()

    # -- life -----------------------------------------------------------------

    async def start(self) -> None:
        self.aps.start(paused=True)
        if self.lease is None:
            await self._lead()
        else:
            self._spawn(self._lease_loop(), "scheduler-lease")
            self._spawn(self._listen_for_changes(), "scheduler-changes")
        self._spawn(self._resync_loop(), "scheduler-resync")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._step_down()
        await self.transitions.close()
        if self.lease is not None:
            try:
                await self.lease.release()
            except Exception:
                log.warning("could not release the scheduler lease; it will expire")
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def _spawn(self, coro: object, name: str) -> None:
        self._tasks.append(asyncio.create_task(coro, name=name))  # type: ignore[arg-type]

    # -- leadership -----------------------------------------------------------

    async def _lead(self) -> None:
        """Catch up, plan, then let the timers run."""
        self._leading = True
        caught_up = await self.transitions.catch_up_all()
        report = await self.planner.rebuild()
        self.aps.resume()
        self.ready.set()
        while self._pending:
            pending, self._pending = self._pending, set()
            await self.planner.replan_many(pending)
        log.info(
            "scheduler %s acting (token %s): %d caught up, %d jobs for %d sessions in %.3f s",
            self.instance,
            self.authority.token,
            len(caught_up),
            report.jobs,
            report.sessions,
            report.seconds,
        )

    async def _lead_in_background(self) -> None:
        try:
            await self._lead()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("taking over as scheduler failed; stepping down")
            await self._step_down()
            if self.lease is not None:
                await self.lease.release()

    async def _step_down(self) -> None:
        self._leading = False
        task, self._lead_task = self._lead_task, None
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.ready.clear()
        self._pending.clear()
        if self.aps.running:
            self.aps.pause()
            self.planner.clear()

    async def _claim(self, token: int) -> bool:
        """Write our token into the database; False if a newer one is there already."""
        assert self.lease is not None
        try:
            async with self.db.write() as s:
                await fence.claim(s, token)
        except fence.FenceLost as lost:
            # Redis forgot its counter (restart without persistence): climb past the database.
            log.warning("lease token %s is behind the database (%s)", token, lost.newest)
            await self.lease.raise_counter(lost.newest)
            await self.lease.release()
            return False
        except Exception:
            await self.lease.release()  # let the next attempt start clean
            raise
        return True

    async def _lease_loop(self) -> None:
        assert self.lease is not None
        lease = self.lease
        renew_every = lease.seconds / 3
        poll_every = self.settings.scheduler_lease_seconds * (1 - TTL_SHARE)
        while True:
            try:
                if self._leading:
                    if not await lease.renew():
                        log.warning("scheduler %s lost the lease; stepping down", self.instance)
                        await self._step_down()
                else:
                    token = await lease.acquire()
                    if token is not None and await self._claim(token):
                        log.info("scheduler %s won the lease (token %d)", self.instance, token)
                        self._leading = True
                        self._lead_task = asyncio.create_task(
                            self._lead_in_background(), name="scheduler-lead"
                        )
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis or the database is away: keep acting only while the lease surely holds.
                log.warning("scheduler lease check failed: %r", exc)
                if self._leading and not lease.held():
                    await self._step_down()
            await asyncio.sleep(renew_every if self._leading else poll_every)

    # -- programme changes ----------------------------------------------------

    async def on_change(self, change: SessionChange) -> None:
        """Re-plan one session at once (create, move, extend, cancel, delete)."""
        await self.on_changes((change,))

    async def on_changes(self, changes: Sequence[SessionChange]) -> None:
        """Re-plan the sessions of one operation (a single edit, an import) in one pass."""
        if not self.is_leader:
            return
        if not self.ready.is_set():
            self._pending.update(c.session_id for c in changes)
            return
        deleted = {c.session_id for c in changes if c.kind == "deleted"}
        for session_id in deleted:
            self.planner.unplan(session_id)
        others = [c.session_id for c in changes if c.session_id not in deleted]
        if not others:
            return
        try:
            if len(others) == 1:
                await self.planner.replan(others[0])
            else:
                await self.planner.replan_many(others)
        except Exception:
            log.exception("re-planning sessions %s failed; the resync will retry", others[:20])

    async def _listen_for_changes(self) -> None:
        """Cluster mode: web nodes publish programme changes on a Redis channel."""
        assert self.redis is not None
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(PROGRAMME_CHANNEL)
                async for message in pubsub.listen():
                    try:
                        # A single change, or a batch (an import) re-planned in one pass.
                        changes = changes_of(json.loads(message["data"]))
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignored a malformed programme change: %r", message)
                        continue
                    await self.on_changes(changes)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Changes missed meanwhile are found by the resync.
                log.warning("programme change feed interrupted: %s; resubscribing", exc)
                await asyncio.sleep(1)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _resync_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.scheduler_resync_seconds)
            if not self.is_leader or not self.ready.is_set():
                continue
            try:
                changed = await self.planner.resync()
                if changed:
                    log.info("resync re-planned %d sessions", changed)
            except Exception:
                log.exception("scheduler resync failed")
