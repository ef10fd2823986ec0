"""Two real ``forumlive serve`` nodes behind a (pretend) trusted proxy, one Redis, one PostgreSQL.

The nodes log JSON at INFO to files the tests read back. They trust 127.0.0.1 as a
reverse proxy, so each test names its own client address in ``X-Forwarded-For``
and per-IP limits of one test never touch another's.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from server.accounts.registration import create_user
from server.db.engine import Database, make_engine
from tests.cli.processes import forumlive_executable
from tests.live.support import free_port

PASSWORD = "correct horse battery"
_ips = itertools.count(1)
# What aiohttp's run_app prints on stdout (not a log line).
_BANNER = ("======== Running on", "(Press CTRL+C to quit)")

# Small limits, so each is reached in a few requests.
LIMITS = {
    "FORUMLIVE_LOGIN_MAX_FAILURES": "3",
    "FORUMLIVE_REGISTER_MAX_PER_IP": "3",
    "FORUMLIVE_REGISTER_WINDOW_SECONDS": "600",
    "FORUMLIVE_JOIN_RATE_PER_MINUTE": "5",
    "FORUMLIVE_LIVE_CHAT_RATE_PER_SECOND": "1",
    "FORUMLIVE_LIVE_CHAT_BURST": "5",
}


def client_ip() -> str:
    """A fresh client address (TEST-NET-2) for one test's per-IP counters."""
    n = next(_ips)
    return f"198.51.{n // 250}.{n % 250 + 1}"


class Node:
    def __init__(self, database_url: str, redis_url: str, data_dir: Path, secret: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
        env |= {
            "FORUMLIVE_REDIS_URL": redis_url,
            "FORUMLIVE_SECRET_KEY": secret,
            "FORUMLIVE_PUBLIC_URL": self.url,
            "FORUMLIVE_LOG_LEVEL": "INFO",
            "FORUMLIVE_LOG_FORMAT": "json",
            "FORUMLIVE_TRUSTED_PROXIES": '["127.0.0.1"]',
            **LIMITS,
        }
        self.log_path = data_dir / "serve.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [forumlive_executable(), "serve", "--no-scheduler", "--port", str(self.port),
             "--data-dir", str(data_dir), "--database-url", database_url],
            env=env, stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc.poll() is None, self.log_path.read_text()
                try:
                    async with http.get(self.url + "/readyz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, (
                    "node did not start:\n" + self.log_path.read_text()
                )
                await asyncio.sleep(0.2)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line the node logged, each one a JSON object (or the test fails)."""
        lines = []
        for raw in self.log_path.read_text().splitlines():
            if not raw.strip() or raw.startswith(_BANNER):
                continue
            lines.append(json.loads(raw))
        return lines

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@dataclass
class Cluster:
    database_url: str
    redis_url: str
    nodes: list[Node] = field(default_factory=list)
    organiser: str = ""
    session_id: int = 0

    @property
    def a(self) -> Node:
        return self.nodes[0]

    @property
    def b(self) -> Node:
        return self.nodes[1]

    async def request(
        self, node: Node, method: str, path: str, ip: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any, dict[str, str]]:
        headers = {"X-Forwarded-For": ip}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, node.url + path, headers=headers, **kwargs) as r,
        ):
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, body, dict(r.headers)

    async def ok(
        self, node: Node, method: str, path: str, ip: str, token: str | None = None, **kw: Any
    ) -> Any:
        status, body, _ = await self.request(node, method, path, ip, token, **kw)
        assert status in (200, 201), f"{method} {path}: {status} {body}"
        return body

    async def register(self, node: Node, ip: str, **fields: Any) -> dict[str, Any]:
        tag = uuid.uuid4().hex[:8]
        person = {
            "name": f"Person {tag}", "email": f"p.{tag}@example.org", "password": PASSWORD,
            "organisation": "Org", "country": "CH", "stakeholder_group": "other",
        } | fields  # fmt: skip
        body = await self.ok(node, "POST", "/api/v1/auth/register", ip, json=person)
        return {**body["user"], "token": body["token"], "password": person["password"]}

    async def setup(self) -> None:
        db = Database(make_engine(self.database_url))
        email = f"organiser.{uuid.uuid4().hex[:6]}@example.org"
        try:
            await create_user(db, email=email, name="Olga Organiser", password=PASSWORD,
                              role="organiser", stakeholder_group="other")  # fmt: skip
        finally:
            await db.close()
        ip = client_ip()
        login = await self.ok(
            self.a, "POST", "/api/v1/auth/login", ip, json={"email": email, "password": PASSWORD}
        )
        self.organiser = login["token"]
        today = date.today()
        org = self.organiser
        event = await self.ok(self.a, "POST", "/api/v1/events", ip, org, json={
            "slug": "abuse", "name": "Abuse Forum", "timezone": "UTC",
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        })  # fmt: skip
        track = await self.ok(self.a, "POST", "/api/v1/tracks", ip, org,
                              json={"event_id": event["id"], "slug": "t", "name": "T"})  # fmt: skip
        stype = await self.ok(self.a, "POST", "/api/v1/session-types", ip, org, json={
            "event_id": event["id"], "key": "k", "name": "K", "default_duration_min": 60,
            "interactive": False,
        })  # fmt: skip
        room = await self.ok(self.a, "POST", "/api/v1/rooms", ip, org,
                             json={"event_id": event["id"], "slug": "r", "name": "R", "capacity": 1000})  # fmt: skip
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        session = await self.ok(self.a, "POST", "/api/v1/sessions", ip, org, json={
            "title": "Open floor", "track_id": track["id"], "type_id": stype["id"],
            "room_id": room["id"], "start": start.isoformat(),
            "end": (start + timedelta(minutes=120)).isoformat(),
        })  # fmt: skip
        self.session_id = session["id"]
