"""Attendance: how many people were in each room over time, and who came at all.

Presence tells this module, in memory only, who joins a room (``joined``) and every
recount of a room (``counted``): nothing is written on the connect path. Every
``live_attendance_flush_seconds`` the buffers go to the database in one transaction:

- ``live_attendance_samples``: per session and clock-aligned bucket of
  ``live_attendance_sample_seconds``, the largest cluster-wide count seen in it. Every
  node that serves a room writes that room's buckets, merged with ``GREATEST``
  (``max()`` on SQLite): writing a bucket twice, or from two nodes at once, changes
  nothing, so no leader is needed and a node that dies leaves no hole the others
  do not fill.
- ``live_attendance_viewers``: one row per session and person (``users.id``), first
  and last seen, merged with ``LEAST``/``GREATEST``; each node writes its own people.
  A flush writes only what changed: people who came (their first join) and people who
  left (last seen at the last flush that found them present, so exact to one flush
  interval). People who stay are refreshed once per sample bucket, a slice of them at
  each flush: rewriting every present person every 5 s made a 5,000-person room
  stall its node for tens of milliseconds on each flush, which showed in the fan-out
  bench's p99 (docs/benchmarks.md). On shutdown everyone still present is written.

A room this node stops serving gets a 0 in the following bucket (merged as above, so
a node still serving it wins), which brings the curve down when everybody has left.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.appkeys import attendance_key, db_key, live_key, settings_key
from server.db.engine import Database
from server.db.tables import Session, User
from server.db.tables_attendance import AttendanceSample, AttendanceViewer
from server.live.conn import Connections
from server.live.presence import Presence

log = logging.getLogger(__name__)

_CHUNK = 500  # ids per IN (...) list

SAMPLES = AttendanceSample.__table__
VIEWERS = AttendanceViewer.__table__


def _instant(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Attendance:
    def __init__(
        self,
        db: Database,
        presence: Presence,
        conns: Connections,
        sample_seconds: int,
        flush_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._db = db
        self._presence = presence
        self._conns = conns
        self.sample_seconds = sample_seconds
        self._flush_seconds = flush_seconds
        self.clock = clock
        self._peaks: dict[tuple[int, int], int] = {}  # (session, bucket start epoch) -> peak
        self._joined: dict[tuple[int, int], float] = {}  # (session, user) -> first join seen
        self._served: set[int] = set()  # rooms this node had people in at the last flush
        self._present: set[tuple[int, int]] = set()  # (session, user) at the last flush
        self._present_at = 0.0  # when that was
        self._unwritten: dict[tuple[int, int], tuple[float, float]] = {}  # a failed flush's
        # Present people are refreshed one slice per flush, every slice once per bucket.
        self._slices = max(1, round(sample_seconds / flush_seconds))
        self._slice = 0
        self.rows_written = 0  # viewer rows in the last flush
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def bucket(self, epoch: float) -> int:
        return int(epoch // self.sample_seconds) * self.sample_seconds

    # -- what presence tells us (synchronous, memory only) ------------------------------

    def joined(self, session_id: int, user_id: int) -> None:
        self._joined.setdefault((session_id, user_id), self.clock())

    def counted(self, session_id: int, count: int) -> None:
        key = (session_id, self.bucket(self.clock()))
        if count > self._peaks.get(key, -1):
            self._peaks[key] = count

    # -- writing ---------------------------------------------------------------------------

    async def flush(self, everyone: bool = False) -> None:
        """Write what was seen since the last flush; on failure keep it for the next one.

        ``everyone``: also refresh every person present now (the last flush on shutdown)."""
        async with self._lock:
            now = self.clock()
            served = set(self._presence.local)
            for sid in served:
                # The cluster-wide count now: a quiet room is recounted here, not by presence.
                self.counted(sid, await self._presence.count(sid))
            for sid in self._served - served:
                self._peaks.setdefault((sid, self.bucket(now) + self.sample_seconds), 0)
            self._served = served
            current = self.bucket(now)
            peaks = {k: n for k, n in self._peaks.items() if k[1] <= current}
            for key in peaks:
                del self._peaks[key]  # future buckets (the zeros above) wait for their time
            joined, self._joined = self._joined, {}
            present = {(c.session_id, c.user_id) for c in self._conns.all()}
            self._slice = (self._slice + 1) % self._slices
            # (first, last) per row; LEAST keeps the true first_seen of a row written before.
            seen, self._unwritten = self._unwritten, {}
            for key in self._present - present:  # left: last seen at the last flush
                seen[key] = (self._present_at, self._present_at)
            for key in (
                present
                if everyone
                else (k for k in present if hash(k) % self._slices == self._slice)
            ):
                seen[key] = (now, now)
            for key, first in joined.items():
                seen[key] = (first, now if key in present else first)
            self._present, self._present_at = present, now
            try:
                await self._write(peaks, seen)
            except BaseException:
                for key, n in peaks.items():
                    self._peaks[key] = max(n, self._peaks.get(key, n))
                for key, (first, last) in seen.items():
                    if key in joined:
                        self._joined[key] = min(first, self._joined.get(key, first))
                    else:  # a leave or a refresh: written with the next flush
                        self._unwritten[key] = (first, last)
                raise

    async def _write(
        self, peaks: dict[tuple[int, int], int], seen: dict[tuple[int, int], tuple[float, float]]
    ) -> None:
        if not peaks and not seen:
            return
        async with self._db.write() as s:
            # A session deleted or an account erased since: its rows would break the
            # foreign keys (and the erasure), so they are dropped here.
            sessions = await _existing(
                s, Session.id, {sid for sid, _ in peaks} | {k[0] for k in seen}
            )
            users = await _existing(s, User.id, {uid for _, uid in seen})
            samples = [
                {"session_id": sid, "at": _instant(at), "viewers": n}
                for (sid, at), n in sorted(peaks.items())
                if sid in sessions
            ]
            viewers = [
                {
                    "session_id": sid,
                    "user_id": uid,
                    "first_seen": _instant(first),
                    "last_seen": _instant(last),
                }
                for (sid, uid), (first, last) in sorted(seen.items())
                if sid in sessions and uid in users
            ]
            self.rows_written = len(viewers)
            # Sorted rows: two nodes upserting overlapping rows lock them in the same order.
            if samples:
                await s.execute(self._upsert_samples(), samples)
            if viewers:
                await s.execute(self._upsert_viewers(), viewers)

    def _dialect(self) -> Any:
        return sqlite if self._db.is_sqlite else postgresql

    def _bigger(self, a: Any, b: Any) -> ColumnElement[Any]:
        return func.max(a, b) if self._db.is_sqlite else func.greatest(a, b)

    def _smaller(self, a: Any, b: Any) -> ColumnElement[Any]:
        return func.min(a, b) if self._db.is_sqlite else func.least(a, b)

    def _upsert_samples(self) -> Any:
        stmt = self._dialect().insert(SAMPLES)
        return stmt.on_conflict_do_update(
            index_elements=["session_id", "at"],
            set_={"viewers": self._bigger(SAMPLES.c.viewers, stmt.excluded.viewers)},
        )

    def _upsert_viewers(self) -> Any:
        stmt = self._dialect().insert(VIEWERS)
        return stmt.on_conflict_do_update(
            index_elements=["session_id", "user_id"],
            set_={
                "first_seen": self._smaller(VIEWERS.c.first_seen, stmt.excluded.first_seen),
                "last_seen": self._bigger(VIEWERS.c.last_seen, stmt.excluded.last_seen),
            },
        )

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-attendance")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await self.flush(everyone=True)  # the last seconds of every room still open here
        except Exception:
            log.exception("attendance: last flush failed")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._flush_seconds)
            try:
                await self.flush()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("attendance flush failed; kept for the next one")


async def _existing(s: AsyncSession, column: Any, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(wanted), _CHUNK):
        found.update(await s.scalars(select(column).where(column.in_(wanted[i : i + _CHUNK]))))
    return found


async def attendance_ctx(app: web.Application) -> AsyncIterator[None]:
    """After ``live_ctx`` (it needs presence), torn down before it: the last flush sees
    the people still connected."""
    settings = app[settings_key]
    live = app[live_key]
    recorder = Attendance(
        app[db_key],
        live.presence,
        live.conns,
        settings.live_attendance_sample_seconds,
        settings.live_attendance_flush_seconds,
    )
    app[attendance_key] = recorder
    live.presence.observer = recorder
    recorder.start()
    try:
        yield
    finally:
        live.presence.observer = None
        await recorder.close()
