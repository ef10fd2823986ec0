"""An import announces its sessions as one batch: one re-plan pass, one push to clients.

With a real Socket.IO client on ``/agenda`` and the embedded scheduler, in
process (no Redis) and in cluster mode (a private redis-server: the web node's
notice on PROGRAMME_CHANNEL is what the scheduler hears).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from scheduler.embedded import BULK_PUSH_ABOVE
from scheduler.service import SchedulerService
from server.app import create_app
from server.appkeys import agenda_cache_key, db_key, scheduler_key
from server.domain.timezones import zone
from server.exchange.cli_import import run_import
from server.names import EV_AGENDA_CHANGED, PROGRAMME_CHANNEL
from server.programme.changes import (
    ProgrammeChanges,
    SessionChange,
    changes_of,
    notice_of,
)
from server.settings import Settings
from tests.factories import Factory
from tests.scheduler.support import Listener, RedisServer, eventually

LOBBY = timedelta(minutes=15)  # Settings.lobby_lead_minutes
COLUMNS = ["key", "title", "track", "type", "room", "date", "start", "duration_min"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def programme_csv(count: int, first: datetime, shift: timedelta = timedelta(0)) -> str:
    """``count`` 10-minute sessions from ``first`` on, alternating between the two rooms."""
    geneva = zone("Europe/Geneva")  # the factory event's zone: CSV times are local
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for i in range(count):
        start = (first + shift + timedelta(minutes=10 * (i // 2))).astimezone(geneva)
        writer.writerow(
            {
                "key": f"bulk-{i}",
                "title": f"Imported {i}",
                "track": "forum",
                "type": "thematic_workshop",
                "room": f"room-{i % 2 + 1}",
                "date": start.date().isoformat(),
                "start": start.strftime("%H:%M"),
                "duration_min": "10",
            }
        )
    return out.getvalue()


async def live_programme(f: Factory) -> dict[str, Any]:
    """The factory programme, its final week moved over today."""
    prog = await f.programme()
    today = date.today()
    r = await f.client.patch(
        f"/api/v1/events/{prog['event']['id']}",
        json={
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        },
        headers=await f.organiser_headers(),
    )
    assert r.status == 200, await r.text()
    return prog


async def import_csv(f: Factory, prog: dict[str, Any], text: str) -> dict[str, Any]:
    r = await f.client.post(
        "/api/v1/import/csv",
        data=text.encode(),
        params={"event": prog["event"]["slug"]},
        headers={**await f.organiser_headers(), "Content-Type": "text/csv"},
    )
    report = await r.json()
    assert r.status == 200, report
    return report


async def starts(f: Factory, ids: list[int]) -> dict[int, datetime]:
    out = {}
    for sid in ids:
        r = await f.client.get(f"/api/v1/sessions/{sid}")
        out[sid] = ts((await r.json())["start_utc"])
    return out


def lobby_jobs(starts: dict[int, datetime]) -> dict[str, datetime]:
    """The plan the scheduler should hold for these sessions: each one's lobby timer."""
    return {f"session:{sid}:lobby": start - LOBBY for sid, start in starts.items()}


def jobs_of(sched: SchedulerService, ids: list[int]) -> dict[str, datetime]:
    names = {f"session:{sid}:" for sid in ids}
    return {k: v for k, v in sched.planner.jobs().items() if k[: k.rindex(":") + 1] in names}


def agenda_pushes(listener: Listener) -> list[dict[str, Any]]:
    return listener.of(EV_AGENDA_CHANGED)


async def settled(listener: Listener, count: int) -> list[dict[str, Any]]:
    """The agenda pushes once ``count`` have come, after a moment for any extra to arrive."""
    await eventually(lambda: len(agenda_pushes(listener)) >= count, 10, f"{count} pushes")
    await asyncio.sleep(0.5)
    return agenda_pushes(listener)


async def heard(pubsub: Any, seconds: float) -> list[Any]:
    """Every notice on the channel within ``seconds`` (the publisher has answered already)."""
    notices = []
    deadline = asyncio.get_running_loop().time() + seconds
    while (left := deadline - asyncio.get_running_loop().time()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            notices.append(json.loads(message["data"]))
    return notices


@pytest.fixture
async def sched_client(aiohttp_client: Any, settings: Settings) -> TestClient:
    return await aiohttp_client(
        create_app(settings.model_copy(update={"reminder_minutes": 0}), True)
    )


async def test_a_large_import_is_one_bulk_push_and_one_replan_of_every_session(
    sched_client: TestClient,
) -> None:
    f = Factory(sched_client)
    sched = sched_client.app[scheduler_key]
    prog = await live_programme(f)
    count = BULK_PUSH_ABOVE + 5
    first = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=40)
    listener = await Listener().connect(str(sched_client.make_url("")).rstrip("/"))
    try:
        report = await import_csv(f, prog, programme_csv(count, first))
        assert report["created"] == count
        ids = [s["id"] for s in report["sessions"]]
        pushes = await settled(listener, 1)
        assert pushes == [{"kind": "bulk", "event_id": prog["event"]["id"], "session_ids": ids}]
        # Planned before the answer was sent: every session has its lobby timer.
        planned = await starts(f, ids)
        assert jobs_of(sched, ids) == lobby_jobs(planned)

        # The same file half an hour later: the sessions are updated, re-planned, pushed once.
        listener.events.clear()
        again = await import_csv(f, prog, programme_csv(count, first, timedelta(minutes=30)))
        assert (again["created"], again["updated"]) == (0, count)
        assert await settled(listener, 1) == [
            {"kind": "bulk", "event_id": prog["event"]["id"], "session_ids": ids}
        ]
        moved = await starts(f, ids)
        assert all(moved[sid] == planned[sid] + timedelta(minutes=30) for sid in ids)
        assert jobs_of(sched, ids) == lobby_jobs(moved)
    finally:
        await listener.close()


async def test_a_small_import_is_pushed_session_by_session_with_the_sessions(
    sched_client: TestClient,
) -> None:
    f = Factory(sched_client)
    sched = sched_client.app[scheduler_key]
    prog = await live_programme(f)
    first = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=40)
    listener = await Listener().connect(str(sched_client.make_url("")).rstrip("/"))
    try:
        report = await import_csv(f, prog, programme_csv(BULK_PUSH_ABOVE, first))
        ids = [s["id"] for s in report["sessions"]]
        pushes = await settled(listener, BULK_PUSH_ABOVE)
    finally:
        await listener.close()
    assert len(pushes) == BULK_PUSH_ABOVE
    assert [p["session_id"] for p in pushes] == ids
    for push, sid in zip(pushes, ids, strict=True):
        assert (push["kind"], push["event_id"]) == ("created", prog["event"]["id"])
        assert push["session"]["id"] == sid and push["session"]["title"].startswith("Imported")
    assert jobs_of(sched, ids) == lobby_jobs(await starts(f, ids))


async def test_in_cluster_mode_the_batch_is_one_redis_notice_the_scheduler_replans(
    aiohttp_client: Any, settings: Settings, tmp_path: Path
) -> None:
    server = RedisServer(tmp_path)
    redis = server.client()
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    client: TestClient | None = None
    try:
        clustered = settings.model_copy(
            update={
                "redis_url": server.url,
                "reminder_minutes": 0,
                "scheduler_lease_seconds": 1,
            }
        )
        client = await aiohttp_client(create_app(clustered, scheduler=True))
        sched = client.app[scheduler_key]
        await eventually(sched.ready.is_set, 10, "the scheduler to take the lease")
        await pubsub.subscribe(PROGRAMME_CHANNEL)
        f = Factory(client)
        prog = await live_programme(f)
        count = BULK_PUSH_ABOVE + 1
        first = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=40)
        report = await import_csv(f, prog, programme_csv(count, first))
        ids = [s["id"] for s in report["sessions"]]

        notices = await heard(pubsub, 1.0)
        assert len(notices) == 1 and notices[0]["kind"] == "batch"
        assert changes_of(notices[0]) == [
            SessionChange("created", sid, prog["event"]["id"]) for sid in ids
        ]
        planned = await starts(f, ids)
        await eventually(lambda: jobs_of(sched, ids) == lobby_jobs(planned), 10, "the re-plan")

        # A single edit still goes out (and is heard) in the one-change form.
        moved = planned[ids[0]] + timedelta(minutes=10 * count)  # after them all: no overlap
        r = await client.patch(
            f"/api/v1/sessions/{ids[0]}",
            json={"start": moved.isoformat(), "duration_min": 10},
            headers=await f.organiser_headers(),
        )
        assert r.status == 200, await r.text()
        assert await heard(pubsub, 1.0) == [
            {"kind": "updated", "session_id": ids[0], "event_id": prog["event"]["id"]}
        ]
        await eventually(
            lambda: jobs_of(sched, [ids[0]]) == {f"session:{ids[0]}:lobby": moved - LOBBY},
            10,
            "the single re-plan",
        )
    finally:
        if client is not None:
            await client.close()  # before its Redis goes away
        await pubsub.aclose()
        await redis.aclose()
        server.stop()


async def test_the_command_line_import_is_announced_like_the_apis_in_cluster_mode(
    aiohttp_client: Any, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``forumlive import`` with FORUMLIVE_REDIS_URL: the schedulers hear one batch notice,
    and a web node it never spoke to pushes one bulk agenda:changed to its clients and
    empties its agenda cache."""
    server = RedisServer(tmp_path)
    redis = server.client()
    pubsub = redis.pubsub(ignore_subscribe_messages=True)
    node: TestClient | None = None
    listener: Listener | None = None
    try:
        node = await aiohttp_client(
            create_app(settings.model_copy(update={"redis_url": server.url}))
        )
        f = Factory(node)
        prog = await live_programme(f)
        await pubsub.subscribe(PROGRAMME_CHANNEL)
        listener = await Listener().connect(str(node.make_url("")).rstrip("/"))
        assert (await node.get("/api/v1/agenda")).status == 200  # an entry in its cache
        generation = node.app[agenda_cache_key].generation
        file = tmp_path / "programme.csv"
        file.write_text(programme_csv(3, utcnow() + timedelta(minutes=40)))

        code = await run_import(
            node.app[db_key], file, "csv", prog["event"]["slug"], False, server.url
        )
        assert code == 0, capsys.readouterr()
        ids = sorted(
            s["id"]
            for s in (await (await node.get("/api/v1/agenda")).json())["sessions"]
            if s["title"].startswith("Imported")
        )
        assert len(ids) == 3

        notices = await heard(pubsub, 1.0)
        assert len(notices) == 1 and notices[0]["kind"] == "batch"
        assert sorted(c.session_id for c in changes_of(notices[0])) == ids
        pushes = await settled(listener, 1)
        assert len(pushes) == 1
        assert pushes[0]["kind"] == "bulk" and sorted(pushes[0]["session_ids"]) == ids
        assert node.app[agenda_cache_key].generation > generation

        # Embedded mode: nothing to tell, and the command says so.
        capsys.readouterr()
        again = tmp_path / "again.csv"
        again.write_text(programme_csv(3, utcnow() + timedelta(minutes=40), timedelta(hours=2)))
        assert await run_import(node.app[db_key], again, "csv", prog["event"]["slug"], False) == 0
        assert "no running server was told" in capsys.readouterr().err
        assert await heard(pubsub, 0.5) == []
    finally:
        if listener is not None:
            await listener.close()
        if node is not None:
            await node.close()
        await pubsub.aclose()
        await redis.aclose()
        server.stop()


def test_notices_round_trip_and_malformed_ones_are_refused() -> None:
    one = [SessionChange("cancelled", 7, 1)]
    assert notice_of(one) == {"kind": "cancelled", "session_id": 7, "event_id": 1}
    many = [SessionChange("created", 8, 1), SessionChange("deleted", 9, 2)]
    assert changes_of(json.loads(json.dumps(notice_of(many)))) == many
    assert changes_of(notice_of(one)) == one
    for bad in (
        {"kind": "batch"},
        {"kind": "batch", "changes": [["created", 1]]},
        {"kind": "moved", "session_id": 1, "event_id": 1},
        {"kind": "created", "session_id": "1", "event_id": 1},
        {"kind": "created"},
        [],
    ):
        with pytest.raises(ValueError):
            changes_of(bad)


async def test_batch_listeners_hear_a_batch_once_and_single_listeners_each_change() -> None:
    changes = ProgrammeChanges()
    batches: list[tuple[SessionChange, ...]] = []
    singles: list[SessionChange] = []

    async def on_batch(batch: Any) -> None:
        batches.append(tuple(batch))

    async def on_single(change: SessionChange) -> None:
        if change.session_id == 2:
            raise RuntimeError("one failing change starves nobody")
        singles.append(change)

    changes.subscribe_many(on_batch)
    changes.subscribe(on_single)
    batch = [SessionChange("created", i, 1) for i in (1, 2, 3)]
    await changes.publish_many(batch)
    await changes.publish(SessionChange("deleted", 4, 1))
    await changes.publish_many([])  # nothing changed: nobody is told
    assert batches == [tuple(batch), (SessionChange("deleted", 4, 1),)]
    assert singles == [batch[0], batch[2], SessionChange("deleted", 4, 1)]
    changes.unsubscribe(on_batch)
    changes.unsubscribe(on_single)
    await changes.publish(SessionChange("updated", 1, 1))
    assert len(batches) == 2 and len(singles) == 3
    with pytest.raises(ValueError):
        changes.unsubscribe(on_batch)
