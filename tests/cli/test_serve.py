"""``forumlive serve --demo`` as a real process: the demo agenda over HTTP, a clean stop.

On the PostgreSQL run the process gets only ``FORUMLIVE_DATABASE_URL`` for a fresh
database: the same command serves the same programme from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import aiohttp
import pytest

from server.domain.reference import REFERENCE_SESSION_TYPES
from server.domain.timezones import zone
from tests.cli.processes import CliDatabase, no_traceback

pytestmark = pytest.mark.slow

START_TIMEOUT = 180  # seconds: migrations plus the demo load on a busy machine
STOP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, cli_db: CliDatabase, logs: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self._out = (logs / f"serve-{self.port}.out").open("wb")
        self._err = (logs / f"serve-{self.port}.err").open("wb")
        self.proc = subprocess.Popen(
            cli_db.argv("serve", "--demo", "--port", str(self.port)),
            env=cli_db.environ(**env),
            stdout=self._out,
            stderr=self._err,
        )

    def output(self) -> str:
        self._out.flush()
        self._err.flush()
        return "".join(
            (self.logs / f"serve-{self.port}.{kind}").read_text(errors="replace")
            for kind in ("out", "err")
        )

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited early:\n{self.output()}"
            try:
                async with session.get(f"{self.base}/api/v1/agenda?limit=1") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
        raise AssertionError(f"serve did not answer within {START_TIMEOUT} s:\n{self.output()}")

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_TIMEOUT)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._out.close()
        self._err.close()


@pytest.fixture
def servers(tmp_path: Path, cli_db: CliDatabase) -> Iterator[list[Server]]:
    started: list[Server] = []
    try:
        yield started
    finally:
        for server in started:
            server.kill()


async def get_json(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.get(url) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def geneva_today() -> date:
    from datetime import datetime

    return datetime.now(zone("Europe/Geneva")).date()


async def test_serve_demo_answers_with_the_demo_programme_and_stops_cleanly(
    servers, cli_db, tmp_path
):
    first = Server(cli_db, tmp_path)
    servers.append(first)
    async with aiohttp.ClientSession() as http:
        await first.wait_ready(http)
        agenda = await get_json(http, f"{first.base}/api/v1/agenda")
        rooms = await get_json(http, f"{first.base}/api/v1/rooms")
        tracks = await get_json(http, f"{first.base}/api/v1/tracks")
        types = await get_json(http, f"{first.base}/api/v1/session-types")

    sessions = agenda["sessions"]
    assert agenda["total"] >= 250
    assert len(sessions) == agenda["total"]
    event = agenda["event"]
    assert event["timezone"] == "Europe/Geneva"
    final_start = date.fromisoformat(event["final_start"])
    today = geneva_today()
    # Loaded moments ago: the final week starts today in Geneva (or yesterday at midnight).
    assert final_start in (today, today - timedelta(days=1))
    assert date.fromisoformat(event["final_end"]) == final_start + timedelta(days=4)

    local_days = {date.fromisoformat(x["start_event"][:10]) for x in sessions}
    final_week = {final_start + timedelta(days=i) for i in range(5)}
    assert final_week <= local_days  # sessions on each of the five days
    earliest = min(local_days)
    assert earliest <= final_start - timedelta(days=90)  # months of pre-events before
    assert {x["type"]["key"] for x in sessions} == {t.key for t in REFERENCE_SESSION_TYPES}
    assert len({x["track"]["id"] for x in sessions}) == 2
    assert len(tracks) == 2
    assert len(types) == 12
    assert len(rooms) >= 20
    assert len({x["room"]["id"] for x in sessions}) >= 20
    assert sum(len(x["speakers"]) for x in sessions) > len(sessions)
    for x in sessions[:5]:
        assert x["start_utc"].endswith("Z")
        assert x["start_local"] == x["start_event"]  # no tz=: the event's zone

    assert first.stop(signal.SIGINT) == 0, first.output()
    no_traceback(first.output())

    # A second start on the same data finds the demo present and stops on SIGTERM.
    second = Server(cli_db, tmp_path)
    servers.append(second)
    async with aiohttp.ClientSession() as http:
        await second.wait_ready(http)
        again = await get_json(http, f"{second.base}/api/v1/agenda?limit=1")
        events = await get_json(http, f"{second.base}/api/v1/events")
    assert again["total"] == agenda["total"]
    assert len(events) == 1
    assert second.stop(signal.SIGTERM) == 0, second.output()
    no_traceback(second.output())
    assert "already present" in second.output()
    if cli_db.env:  # PostgreSQL: the data directory holds no database file
        assert not (cli_db.data_dir / "forumlive.db").exists()
    else:
        assert (cli_db.data_dir / "forumlive.db").is_file()


async def test_serve_logs_one_json_line_per_request(servers, cli_db, tmp_path):
    server = Server(cli_db, tmp_path, FORUMLIVE_LOG_FORMAT="json", FORUMLIVE_LOG_LEVEL="INFO")
    servers.append(server)
    async with aiohttp.ClientSession() as http:
        await server.wait_ready(http)
        async with http.get(
            f"{server.base}/api/v1/agenda", headers={"X-Request-ID": "check-access-1"}
        ) as r:
            assert r.status == 200
        async with http.get(f"{server.base}/api/v1/calendar/feed-secret-42.ics") as r:
            assert r.status == 404
            calendar_id = r.headers["X-Request-ID"]
    assert server.stop(signal.SIGTERM) == 0, server.output()
    output = server.output()
    logs = (tmp_path / f"serve-{server.port}.err").read_text().splitlines()
    lines = [json.loads(line) for line in logs]  # every log line is JSON (stdout: a banner)
    access = {x["request_id"]: x for x in lines if x.get("logger") == "aiohttp.access"}
    agenda = access["check-access-1"]
    assert agenda.keys() == {
        "event", "level", "logger", "timestamp", "request_id",
        "method", "path", "status", "duration_ms", "remote",
    }  # fmt: skip
    assert (agenda["event"], agenda["level"], agenda["method"]) == ("request", "info", "GET")
    assert (agenda["path"], agenda["status"], agenda["remote"]) == (
        "/api/v1/agenda",
        200,
        "127.0.0.1",
    )
    assert agenda["timestamp"].endswith("Z") and agenda["duration_ms"] >= 0
    assert access[calendar_id]["path"] == "/api/v1/calendar/….ics"
    assert "feed-secret-42" not in output  # a calendar feed's credential is never logged
