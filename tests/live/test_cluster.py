"""Two real ``forumlive serve`` processes, one PostgreSQL database, one Redis of our own.

Chat and presence cross nodes, a ban on node A throws the person off node B within a
second and keeps them out, and the people of a node that dies drop out of the count.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.accounts.registration import create_user
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from tests.conftest import PG_URL
from tests.live.conftest import GENEROUS, start_redis
from tests.live.support import Peer, free_port

pytestmark = pytest.mark.slow

SECRET = "cluster-test-secret-" + uuid.uuid4().hex
PASSWORD = "correct horse battery"


class Node:
    """``forumlive serve --no-scheduler`` on a free port."""

    def __init__(self, database_url: str, redis_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "FORUMLIVE_REDIS_URL": redis_url,
            "FORUMLIVE_SECRET_KEY": SECRET,
            "FORUMLIVE_PUBLIC_URL": self.url,
            "FORUMLIVE_LIVE_NODE_TTL_SECONDS": "2",
            "FORUMLIVE_LOG_LEVEL": "WARNING",
            **{f"FORUMLIVE_{k.upper()}": str(v) for k, v in GENEROUS.items()},
        }
        self.log_path = data_dir / f"serve-{self.port}.log"
        self._log = self.log_path.open("wb")
        forumlive = Path(sys.executable).with_name("forumlive")
        self.proc = subprocess.Popen(
            [str(forumlive), "serve", "--no-scheduler", "--port", str(self.port),
             "--data-dir", str(data_dir), "--database-url", database_url],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    async def ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                assert self.proc.poll() is None, self.log_path.read_text()
                try:
                    async with http.get(self.url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, (
                    "node did not start:\n" + self.log_path.read_text()
                )
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        """The machine dies: no shutdown, no goodbye to Redis."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


async def _pg(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this module, migrated."""
    name = f"forumlive_cluster_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name

    async def migrate() -> None:
        engine = create_async_engine(url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    try:
        asyncio.run(migrate())
        yield url
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def cluster_redis() -> Iterator[str]:
    proc, url = start_redis()
    try:
        yield url
    finally:
        proc.kill()
        proc.wait()


class Cluster:
    def __init__(self, database_url: str, redis_url: str, tmp: Path) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.tmp = tmp
        self.nodes: list[Node] = []
        self.session_id = 0
        self.moderator_token = ""
        self.peers: list[Peer] = []
        self._n = 0

    def node(self) -> Node:
        node = Node(self.database_url, self.redis_url, self.tmp / f"node{len(self.nodes)}")
        self.nodes.append(node)
        return node

    async def account(self, name: str, role: str = "participant") -> tuple[dict[str, Any], str]:
        """An account made in the shared database, signed in through node A's API."""
        self._n += 1
        email = f"{name.lower().replace(' ', '.')}.{self._n}.{uuid.uuid4().hex[:6]}@example.org"
        db = Database(make_engine(self.database_url))
        try:
            await create_user(
                db,
                email=email,
                name=name,
                password=PASSWORD,
                role=role,
                stakeholder_group="civil_society",
            )
        finally:
            await db.close()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                self.nodes[0].url + "/api/v1/auth/login",
                json={"email": email, "password": PASSWORD},
            ) as r,
        ):
            assert r.status == 200, await r.text()
            body = await r.json()
        return body["user"], body["token"]

    async def api(self, bearer: str, method: str, path: str, body: Any = None) -> Any:
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {bearer}"}) as http,
            http.request(method, self.nodes[0].url + path, json=body) as r,
        ):
            assert r.status in (200, 201), f"{path}: {r.status} {await r.text()}"
            return await r.json()

    async def setup_session(self) -> None:
        _, organiser = await self.account("Olga Organiser", role="organiser")
        today = date.today()
        event = await self.api(organiser, "POST", "/api/v1/events", {
            "slug": "cluster", "name": "WSIS Forum", "timezone": "UTC",
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(), "languages": ["en"],
        })  # fmt: skip
        track = await self.api(organiser, "POST", "/api/v1/tracks",
                               {"event_id": event["id"], "slug": "forum", "name": "Forum"})  # fmt: skip
        stype = await self.api(organiser, "POST", "/api/v1/session-types", {
            "event_id": event["id"], "key": "high_level_dialogue", "name": "Dialogue",
            "default_duration_min": 60, "interactive": False, "default_capacity": None,
        })  # fmt: skip
        room = await self.api(organiser, "POST", "/api/v1/rooms",
                              {"event_id": event["id"], "slug": "main", "name": "Main", "capacity": 900})  # fmt: skip
        mod_user, mod_bearer = await self.account("Mona Moderator")
        person = await self.api(organiser, "POST", "/api/v1/people", {
            "name": "Mona Moderator", "organisation": "ITU", "country": "CH",
            "stakeholder_group": "international_organisation", "user_id": mod_user["id"],
        })  # fmt: skip
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        session = await self.api(organiser, "POST", "/api/v1/sessions", {
            "title": "Across nodes", "track_id": track["id"], "type_id": stype["id"],
            "room_id": room["id"], "start": start.isoformat(),
            "end": (start + timedelta(minutes=90)).isoformat(), "moderator_ids": [person["id"]],
        })  # fmt: skip
        self.session_id = session["id"]
        self.moderator_token = await self.join_token(mod_bearer)

    async def join_token(self, bearer: str) -> str:
        body = await self.api(bearer, "POST", f"/api/v1/sessions/{self.session_id}/join")
        return str(body["token"])

    async def participant(self, name: str) -> tuple[dict[str, Any], str]:
        user, bearer = await self.account(name)
        return user, await self.join_token(bearer)

    async def connect(self, node: Node, token: str) -> Peer:
        peer = Peer(node.url)
        self.peers.append(peer)
        return await peer.connect(token)

    async def close(self) -> None:
        for peer in self.peers:
            with contextlib.suppress(Exception):  # a peer of a killed node is already gone
                await peer.close()
        for node in self.nodes:
            node.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    pg_database: str, cluster_redis: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    group = Cluster(pg_database, cluster_redis, tmp_path_factory.mktemp("cluster"))
    try:
        a, b = group.node(), group.node()
        await asyncio.gather(a.ready(), b.ready())
        await group.setup_session()
        yield group
    finally:
        await group.close()


def count(peer: Peer) -> int | None:
    counts = peer.events["presence:count"]
    return counts[-1]["count"] if counts else None


@pytest.mark.asyncio(loop_scope="module")
async def test_chat_and_presence_cross_nodes(cluster: Cluster) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    mod = await cluster.connect(a, cluster.moderator_token)
    _, token = await cluster.participant("Bea on B")
    on_b = await cluster.connect(b, token)
    ack = await on_b.ok("chat:send", {"text": "hello from node B"})
    [got] = await mod.next("chat:message")
    assert got["seq"] == ack["seq"] and got["text"] == "hello from node B"
    await mod.ok("chat:send", {"text": "hello from node A"})
    await on_b.wait(
        lambda: [m["text"] for m in on_b.events["chat:message"]][-1] == "hello from node A"
    )
    await mod.wait(lambda: count(mod) == 2, timeout=5)
    await on_b.wait(lambda: count(on_b) == 2, timeout=5)
    roster = await mod.ok("presence:roster")
    assert {p["name"] for p in roster["people"]} == {"Mona Moderator", "Bea on B"}
    await on_b.close()
    await mod.wait(lambda: count(mod) == 1, timeout=5)
    await mod.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_ban_on_node_a_disconnects_the_person_on_node_b_within_a_second(
    cluster: Cluster,
) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    mod = await cluster.connect(a, cluster.moderator_token)
    troll_user, token = await cluster.participant("Troll")
    troll = await cluster.connect(b, token)
    started = time.monotonic()
    await mod.ok("mod:ban", {"public_id": troll_user["public_id"], "reason": "spam"})
    await asyncio.wait_for(troll.disconnected.wait(), 1.0)
    assert time.monotonic() - started < 1.0
    assert troll.events["room:kicked"] == [
        {"code": "banned", "message": "you have been removed from this session"}
    ]
    for node in (a, b):
        retry = Peer(node.url)
        cluster.peers.append(retry)
        with pytest.raises(Exception):  # noqa: B017  (socketio.exceptions.ConnectionError)
            await retry.connect(token, wait_welcome=False)
        assert retry.connect_error["data"]["code"] == "banned"
    await mod.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_people_of_a_dead_node_leave_the_count(cluster: Cluster) -> None:
    c = cluster.node()
    await c.ready()
    mod = await cluster.connect(cluster.nodes[0], cluster.moderator_token)
    doomed = []
    for n in range(3):
        _, token = await cluster.participant(f"On C {n}")
        doomed.append(await cluster.connect(c, token))
    await mod.wait(lambda: count(mod) == 4, timeout=5)
    c.kill()
    started = time.monotonic()
    # Heartbeat TTL (2 s here) plus one full recount (5 ticks of 1 s) at most.
    await mod.wait(lambda: count(mod) == 1, timeout=12)
    assert time.monotonic() - started < 12
    roster = await mod.ok("presence:roster")
    assert [p["name"] for p in roster["people"]] == ["Mona Moderator"]
    await mod.close()
