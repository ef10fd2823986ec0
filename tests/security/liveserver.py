"""The real application on a real port, in a thread of its own, for synchronous clients.

Schemathesis drives an API with ``requests`` from plain (non-async) tests; the
server then needs its own event loop. It is the same ``create_app`` that
``forumlive serve`` runs, on a fresh database of the run's kind.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from aiohttp import web

from server.accounts.registration import create_user
from server.app import create_app
from server.settings import Settings
from tests.conftest import TEST_DB, _truncate

PASSWORD = "correct horse battery"


@contextmanager
def running(settings: Settings) -> Iterator[tuple[str, web.Application, asyncio.AbstractEventLoop]]:
    """Start the app on 127.0.0.1:<free port>; stop it (cleanly) on exit. The loop it runs
    on is handed out too: clients of the test can run there (``on_loop``)."""
    loop = asyncio.new_event_loop()
    started: Future[tuple[str, web.AppRunner]] = Future()
    stop = asyncio.Event()

    async def serve() -> None:
        try:
            runner = web.AppRunner(create_app(settings), handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            started.set_result((f"http://127.0.0.1:{port}", runner))
        except BaseException as exc:
            started.set_exception(exc)
            raise
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    url, runner = started.result(timeout=60)
    try:
        yield url, runner.app, loop  # type: ignore[misc]
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()


def on_loop(loop: asyncio.AbstractEventLoop, coro: Any, timeout: float = 30) -> Any:
    """Run a coroutine on the server's loop from a synchronous test and wait for it."""
    return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


def fresh_database(migrated: str, tmp: Path) -> str:
    """A clean copy of the run's migrated database (SQLite file or emptied PostgreSQL)."""
    if TEST_DB == "sqlite":
        target = tmp / "forumlive.db"
        shutil.copyfile(migrated, target)
        return f"sqlite+aiosqlite:///{target}"
    asyncio.run(_truncate(migrated))
    return migrated


class Api:
    """A small synchronous API client: the organiser builds, people sign in."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(method, self.url + path, headers=headers, timeout=30, **kwargs)
        assert r.status_code < 300, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.content else None

    def login(self, email: str) -> dict[str, Any]:
        body = self.call("POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        return {**body["user"], "token": body["token"]}


def make_accounts(database_url: str, emails: dict[str, str]) -> None:
    """Accounts written straight to the database (roles an API cannot grant to itself)."""
    from server.db.engine import Database, make_engine

    async def work() -> None:
        db = Database(make_engine(database_url))
        try:
            for email, role in emails.items():
                await create_user(
                    db, email=email, name=email.split("@")[0].title(), password=PASSWORD,
                    role=role, organisation="Org", country="CH",
                    stakeholder_group="civil_society",
                )  # fmt: skip
        finally:
            await db.close()

    asyncio.run(work())


def programme(api: Api, organiser: str) -> dict[str, Any]:
    """An event around today, two rooms, people, and sessions (one happening now)."""
    today = date.today()
    event = api.call("POST", "/api/v1/events", organiser, json={
        "slug": "fuzz", "name": "Fuzz Forum", "timezone": "Europe/Geneva",
        "final_start": (today - timedelta(days=2)).isoformat(),
        "final_end": (today + timedelta(days=2)).isoformat(), "languages": ["en", "fr"],
    })  # fmt: skip
    eid = event["id"]
    track = api.call(
        "POST", "/api/v1/tracks", organiser, json={"event_id": eid, "slug": "t", "name": "T"}
    )
    stype = api.call("POST", "/api/v1/session-types", organiser, json={
        "event_id": eid, "key": "workshop", "name": "Workshop", "default_duration_min": 60,
        "interactive": True, "default_capacity": 5,
    })  # fmt: skip
    rooms = [
        api.call(
            "POST",
            "/api/v1/rooms",
            organiser,
            json={
                "event_id": eid,
                "slug": f"r{i}",
                "name": f"Room {i}",
                "capacity": 50,
            },
        )
        for i in (1, 2)
    ]
    person = api.call("POST", "/api/v1/people", organiser, json={
        "name": "Ada Speaker", "organisation": "ITU", "country": "CH",
        "stakeholder_group": "academia", "gender": "woman",
    })  # fmt: skip
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    sessions = [
        api.call(
            "POST",
            "/api/v1/sessions",
            organiser,
            json={
                "title": f"Session {i}",
                "track_id": track["id"],
                "type_id": stype["id"],
                "room_id": rooms[i % 2]["id"],
                "start": (start + timedelta(hours=3 * i)).isoformat(),
                "end": (start + timedelta(hours=3 * i, minutes=90)).isoformat(),
                "speaker_ids": [person["id"]] if i == 0 else [],
            },
        )
        for i in range(3)
    ]
    return {"event": event, "rooms": rooms, "sessions": sessions, "person": person}
