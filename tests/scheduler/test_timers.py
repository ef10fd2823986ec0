"""The embedded scheduler in a real ``forumlive serve``: timers, pushes, restarts.

Runs on the suite's database (SQLite or PostgreSQL, per FORUMLIVE_TEST_DB).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scheduler.service import SchedulerService
from server.db.engine import Database, make_engine
from server.live.push import Pusher
from server.names import EV_SESSION_STATE
from server.settings import Settings
from tests.scheduler.support import (
    FULL_PATH,
    Api,
    Listener,
    Server,
    create_session,
    eventually,
    make_account,
    path_of,
    seed_programme,
    transitions,
    utcnow,
)

pytestmark = pytest.mark.slow

FAST_SETTINGS = {"lobby_lead_minutes": 2 / 60, "reminder_minutes": 0}


async def _no_push(*args: object, **kwargs: object) -> None:
    return None


@pytest.fixture
async def server(database_url: str, tmp_path: Path):
    srv = Server(database_url, tmp_path / "node")
    try:
        await srv.ready()
        yield srv
    finally:
        srv.stop()


@pytest.fixture
async def organiser(server: Server, database_url: str):
    account = await make_account(database_url, "organiser")
    api = await Api.login(server.url, account["email"], account["password"])
    yield api
    await api.close()


async def test_sessions_reach_lobby_live_and_ended_on_time_and_clients_hear_each(
    server: Server, organiser: Api, database_url: str
) -> None:
    prog = await seed_programme(organiser)
    listener = await Listener().connect(server.url)
    try:
        t0 = utcnow()
        a = await create_session(
            organiser, prog, t0 + timedelta(seconds=4), t0 + timedelta(seconds=7)
        )
        b = await create_session(
            organiser, prog, t0 + timedelta(seconds=5), t0 + timedelta(seconds=8), room=1
        )
        await eventually(
            lambda: len(listener.of(EV_SESSION_STATE)) >= 6, 20, "six transitions pushed"
        )
    finally:
        await listener.close()
    for session in (a, b):
        pushed = listener.of(EV_SESSION_STATE, session["id"])
        assert [(p["from"], p["to"]) for p in pushed] == FULL_PATH
        assert {p["cause"] for p in pushed} == {"timer"}
        assert pushed[-1]["end_utc"] == session["end_utc"]
        rows = await transitions(database_url, session["id"])
        assert path_of(rows) == FULL_PATH
        assert [r.cause for r in rows] == ["timer"] * 3
        for row in rows:
            assert row.due_at is not None
            assert row.at >= row.due_at, "a transition must never happen before it is due"
            assert row.at - row.due_at < timedelta(seconds=3)
    # The lobby opened the lead time before the start (FAST: 2 s).
    first = (await transitions(database_url, a["id"]))[0]
    assert first.due_at == datetime.fromisoformat(a["start_utc"]) - timedelta(seconds=2)
    r = await organiser.call("GET", f"/api/v1/sessions/{a['id']}")
    assert r["state"] == "ended"


async def test_a_scheduler_stopped_across_boundaries_applies_each_exactly_once_in_order(
    database_url: str, tmp_path: Path
) -> None:
    server = Server(database_url, tmp_path / "node")
    try:
        await server.ready()
        account = await make_account(database_url, "organiser")
        api = await Api.login(server.url, account["email"], account["password"])
        prog = await seed_programme(api)
        t0 = utcnow()
        # Interleaved boundaries: A lobby 3, B lobby 4, A live 5, B live 6, B end 7, A end 9.
        a = await create_session(api, prog, t0 + timedelta(seconds=5), t0 + timedelta(seconds=9))
        b = await create_session(
            api, prog, t0 + timedelta(seconds=6), t0 + timedelta(seconds=7), room=1
        )
        await api.close()
        assert server.stop() == 0, server.log()  # SIGTERM: a clean stop before any boundary
        assert await transitions(database_url) == []
        await asyncio.sleep(max(0.0, (t0 + timedelta(seconds=10) - utcnow()).total_seconds()))

        server = Server(database_url, tmp_path / "node")
        await server.ready()
        rows = await transitions(database_url)
        assert [(r.session_id, r.from_state, r.to_state) for r in rows] == [
            (a["id"], "scheduled", "lobby"),
            (b["id"], "scheduled", "lobby"),
            (a["id"], "lobby", "live"),
            (b["id"], "lobby", "live"),
            (b["id"], "live", "ended"),
            (a["id"], "live", "ended"),
        ]
        assert {r.cause for r in rows} == {"catch-up"}
        assert [r.due_at for r in rows] == sorted(r.due_at for r in rows)

        # Another start finds nothing left to do: nothing is applied twice.
        assert server.stop() == 0, server.log()
        db = Database(make_engine(database_url))
        again = SchedulerService(db=db, pusher=Pusher(_no_push), settings=Settings(**FAST_SETTINGS))
        try:
            await again.start()
            assert again.ready.is_set()
        finally:
            await again.stop()
            await db.close()
        assert len(await transitions(database_url)) == 6
    finally:
        server.stop()
