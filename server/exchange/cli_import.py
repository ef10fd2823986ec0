"""``forumlive import FILE``: the same import as the API, with a progress bar on stderr.

In cluster mode (``FORUMLIVE_REDIS_URL`` set) a real import is announced as the API
announces one: one batch notice on ``PROGRAMME_CHANNEL`` for the schedulers, and one
"bulk" ``agenda:changed`` through Redis to every web node's clients (which also empties
each node's agenda cache). Always the bulk form: the command renders no sessions, and
clients refetch what they show. In embedded mode the running server is another process
this command cannot reach: it says so, and the server's resync and cache age catch up.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import socketio
from redis.asyncio import Redis
from tqdm import tqdm

from server.api.errors import ApiError
from server.db.engine import Database
from server.exchange.csv_import import parse_csv
from server.exchange.frab_import import parse_frab
from server.exchange.importer import ImportReport, apply_import, report_changes
from server.exchange.plan import ImportPlan
from server.live.push import Pusher
from server.names import EV_AGENDA_CHANGED, PROGRAMME_CHANNEL, SIO_CHANNEL
from server.programme.changes import SessionChange, notice_of

EXIT_OK = 0
EXIT_INVALID = 1  # row errors: nothing was written
EXIT_UNUSABLE = 2  # unreadable file, unknown event


def guess_format(path: Path) -> str:
    return "frab" if path.suffix.lower() == ".json" else "csv"


def _plan(path: Path, fmt: str) -> ImportPlan:
    text = path.read_text(encoding="utf-8-sig")
    if fmt == "frab":
        return parse_frab(json.loads(text))
    return parse_csv(text)


class _Bars:
    """One tqdm bar per stage ("check", then "write")."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            label = {"check": "checking", "write": "writing"}.get(stage, stage)
            bar = self.bars[stage] = tqdm(total=total, desc=label, unit="row", file=self.out)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def print_report(report: ImportReport, out: TextIO) -> None:
    for e in report.errors:
        where = f"row {e.row}" + (f", column {e.column}" if e.column else "")
        print(f"error: {where}: {e.message}", file=out)
    for c in report.conflicts:
        print(f"conflict ({c.kind}): {c.message} [sessions {c.session_ids}]", file=out)
    if report.errors:
        print(f"{len(report.errors)} errors in {report.rows} rows; nothing was written", file=out)
        return
    verb = "would import" if report.dry_run else "imported"
    print(
        f"{verb} into {report.event!r}: {report.created} sessions created, {report.updated} "
        f"updated, {report.people_created} people added, {len(report.conflicts)} conflicts"
        + (" (dry run: nothing written)" if report.dry_run else ""),
        file=out,
    )


async def announce(redis_url: str, changes: Sequence[SessionChange]) -> None:
    """Tell the schedulers and every web node of a committed import (cluster mode)."""
    redis = Redis.from_url(redis_url)
    manager = socketio.AsyncRedisManager(redis_url, write_only=True, channel=SIO_CHANNEL)
    try:
        await redis.publish(PROGRAMME_CHANNEL, json.dumps(notice_of(changes)))
        pusher = Pusher(manager.emit)
        by_event: dict[int, list[int]] = {}
        for change in changes:
            by_event.setdefault(change.event_id, []).append(change.session_id)
        for event_id, ids in by_event.items():
            data = {"kind": "bulk", "event_id": event_id, "session_ids": ids}
            await pusher.agenda(EV_AGENDA_CHANGED, data)
    finally:
        if manager.redis is not None:  # connected by the first emit
            await manager.redis.aclose()
        await redis.aclose()


async def run_import(
    db: Database,
    path: Path,
    fmt: str | None,
    event: str | None,
    dry_run: bool,
    redis_url: str = "",
) -> int:
    fmt = fmt or guess_format(path)
    try:
        plan = _plan(path, fmt)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"cannot read {path}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    bars = _Bars(sys.stderr)
    try:
        report = await apply_import(db, event, plan, dry_run=dry_run, progress=bars)
    except ApiError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_UNUSABLE
    finally:
        bars.close()
    print_report(report, sys.stdout)
    if report.written:
        changes = await report_changes(db, report)
        if not redis_url:
            print(
                "no running server was told (embedded mode: no Redis); its scheduler plans "
                "these sessions at its next resync, and pages show them on their next load",
                file=sys.stderr,
            )
        elif changes:
            try:
                await announce(redis_url, changes)
            except Exception as exc:  # the import stands; only the announcement is missing
                print(f"imported, but could not announce it on Redis: {exc}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_INVALID
