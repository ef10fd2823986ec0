"""What the scheduler tests share: real processes, a private Redis, Socket.IO listeners, data."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from redis.asyncio import Redis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from server.accounts.registration import create_user
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.db.tables_scheduler import SessionTransition
from server.names import AGENDA_NAMESPACE

# Short enough that a test sees a whole lifecycle in seconds.
FAST = {
    "FORUMLIVE_LOBBY_LEAD_MINUTES": str(2 / 60),  # 2 s
    "FORUMLIVE_GREEN_ROOM_LEAD_MINUTES": str(3 / 60),
    "FORUMLIVE_REMINDER_MINUTES": "0",
    "FORUMLIVE_SCHEDULER_LEASE_SECONDS": "2",
    "FORUMLIVE_SCHEDULER_RESYNC_SECONDS": "30",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat()


async def eventually(
    check: Callable[[], Any], timeout: float, what: str, every: float = 0.1
) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(every)


# -- Redis and PostgreSQL of our own ---------------------------------------------


class RedisServer:
    """A private redis-server on a free port: tests may pause or kill it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                    c.sendall(b"PING\r\n")
                    if c.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def client(self) -> Redis:
        return Redis.from_url(self.url)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


PG_URL = os.environ.get(
    "FORUMLIVE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def create_pg_database() -> str:
    """A fresh, migrated PostgreSQL database (multi-process tests share one per module)."""
    name = f"forumlive_sched_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def drop_pg_database(url: str) -> None:
    await _pg_admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# -- forumlive processes -------------------------------------------------------------


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
    env.update({"FORUMLIVE_LOG_FORMAT": "console", "FORUMLIVE_LOG_LEVEL": "INFO"})
    env.update(FAST)
    env.update(extra)
    return env


class Process:
    """A ``forumlive`` subcommand running for real, logging to a file; always stopped."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115  (closed in stop)
        self.proc = subprocess.Popen(
            ["forumlive", *args], env=_env(env), stdout=self._log, stderr=subprocess.STDOUT
        )
        self.pid = self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def stop(self, timeout: float = 15) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return self.proc.returncode


class Server(Process):
    """``forumlive serve`` on a free port; embedded scheduler unless ``scheduler=False``."""

    def __init__(
        self,
        database_url: str,
        data_dir: Path,
        env: dict[str, str] | None = None,
        scheduler: bool = True,
    ) -> None:
        self._spec = (database_url, data_dir, env or {}, scheduler)
        self._launch()

    def _launch(self) -> None:
        database_url, data_dir, env, scheduler = self._spec
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = ["serve", "--port", str(self.port), "--data-dir", str(data_dir)]
        args += ["--database-url", database_url]
        if not scheduler:
            args.append("--no-scheduler")
        super().__init__(args, env, data_dir / f"serve-{self.port}.log")

    async def ready(self, timeout: float = 60) -> None:
        async def up() -> bool:
            if not self.alive():
                log = self.log()
                if "address already in use" in log.lower():
                    # Another process took the free port first (the machine is shared): again.
                    self.stop()
                    self._launch()
                    return False
                raise AssertionError(f"forumlive serve exited:\n{log}")
            try:
                async with aiohttp.ClientSession() as http, http.get(self.url + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await eventually(up, timeout, "forumlive serve to answer", every=0.2)


class SchedulerProcess(Process):
    def __init__(self, database_url: str, data_dir: Path, env: dict[str, str]) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        args = ["scheduler", "--data-dir", str(data_dir), "--database-url", database_url]
        super().__init__(args, env, data_dir / f"scheduler-{uuid.uuid4().hex[:6]}.log")


async def lease_holder(redis: Redis) -> tuple[int, int] | None:
    """(token, pid) of the scheduler holding the lease, from its value ``token:host:pid:rand``."""
    from server.names import SCHEDULER_LEASE_KEY

    value = await redis.get(SCHEDULER_LEASE_KEY)
    if value is None:
        return None
    token, _host, pid, _rand = value.decode().split(":")
    return int(token), int(pid)


# -- HTTP and Socket.IO clients ------------------------------------------------------


class Api:
    """A signed-in HTTP client of a running server."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.http = aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"})

    @classmethod
    async def login(cls, base: str, email: str, password: str) -> Api:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                base + "/api/v1/auth/login", json={"email": email, "password": password}
            ) as r,
        ):
            assert r.status == 200, await r.text()
            return cls(base, (await r.json())["token"])

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        async with self.http.request(method, self.base + path, json=body) as r:
            text_ = await r.text()
            assert r.status == expect, f"{method} {path}: {r.status} {text_}"
            return await r.json() if r.content_type == "application/json" else text_

    async def close(self) -> None:
        await self.http.close()


async def make_account(
    database_url: str, role: str = "participant", **fields: Any
) -> dict[str, str]:
    """An account created straight in the database (as ``forumlive create-organiser`` does)."""
    n = uuid.uuid4().hex[:8]
    email = fields.pop("email", f"{role}-{n}@example.org")
    password = "correct horse battery"
    db = Database(make_engine(database_url))
    try:
        user = await create_user(
            db,
            email=email,
            name=fields.pop("name", f"{role.title()} {n}"),
            password=password,
            role=role,
            organisation="Org",
            country="CH",
            stakeholder_group="civil_society",
        )
    finally:
        await db.close()
    return {"email": email, "password": password, "public_id": user.public_id, "id": str(user.id)}


async def seed_programme(api: Api) -> dict[str, Any]:
    """An event whose final week covers today, with a track, a type and eight rooms."""
    today = date.today()
    event = await api.call(
        "POST",
        "/api/v1/events",
        {
            "slug": f"forum-{uuid.uuid4().hex[:6]}",
            "name": "Forum",
            "timezone": "Europe/Geneva",
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        },
        expect=201,
    )
    eid = event["id"]
    track = await api.call(
        "POST", "/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum"}, expect=201
    )
    stype = await api.call(
        "POST",
        "/api/v1/session-types",
        {
            "event_id": eid,
            "key": "workshop",
            "name": "Workshop",
            "default_duration_min": 60,
            "interactive": True,
            "default_capacity": 100,
        },
        expect=201,
    )
    rooms = [
        await api.call(
            "POST",
            "/api/v1/rooms",
            {"event_id": eid, "slug": f"room-{i}", "name": f"Room {i}", "capacity": 500},
            expect=201,
        )
        for i in range(8)
    ]
    return {"event": event, "track": track, "type": stype, "rooms": rooms}


async def create_session(
    api: Api, prog: dict[str, Any], start: datetime, end: datetime, room: int = 0, **fields: Any
) -> dict[str, Any]:
    body = {
        "title": f"Session {uuid.uuid4().hex[:6]}",
        "track_id": prog["track"]["id"],
        "type_id": prog["type"]["id"],
        "room_id": prog["rooms"][room]["id"],
        "start": iso(start),
        "end": iso(end),
    } | fields
    return await api.call("POST", "/api/v1/sessions", body, expect=201)


class Listener:
    """A real Socket.IO client on ``/agenda`` that records every push it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.sio.on("*", self._record, namespace=AGENDA_NAMESPACE)

    async def _record(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))

    async def connect(self, base: str, token: str | None = None) -> Listener:
        await self.sio.connect(
            base,
            namespaces=[AGENDA_NAMESPACE],
            transports=["websocket"],
            auth={"token": token} if token else None,
            wait_timeout=10,
        )
        return self

    def of(self, event: str, session_id: int | None = None) -> list[dict[str, Any]]:
        return [
            d
            for e, d in self.events
            if e == event and (session_id is None or d.get("session_id") == session_id)
        ]

    async def close(self) -> None:
        await self.sio.disconnect()


async def transitions(database_url: str, session_id: int | None = None) -> list[SessionTransition]:
    """The recorded transitions, in the order they were committed."""
    db = Database(make_engine(database_url))
    try:
        async with db.read() as s:
            stmt = select(SessionTransition).order_by(SessionTransition.id)
            if session_id is not None:
                stmt = stmt.where(SessionTransition.session_id == session_id)
            return list(await s.scalars(stmt))
    finally:
        await db.close()


def path_of(rows: list[SessionTransition]) -> list[tuple[str, str]]:
    return [(r.from_state, r.to_state) for r in rows]


FULL_PATH = [("scheduled", "lobby"), ("lobby", "live"), ("live", "ended")]
