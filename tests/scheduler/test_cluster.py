"""Cluster mode for real: a ``serve --no-scheduler`` web node, ``forumlive scheduler``
processes, one PostgreSQL database (fresh for this module) and a private redis-server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from server.names import EV_SESSION_STATE
from tests.scheduler.support import (
    FULL_PATH,
    Api,
    Listener,
    RedisServer,
    SchedulerProcess,
    Server,
    create_pg_database,
    create_session,
    drop_pg_database,
    eventually,
    lease_holder,
    make_account,
    path_of,
    seed_programme,
    transitions,
    utcnow,
)

pytestmark = pytest.mark.slow

LEASE = 2.0  # FAST in support.py: a dead leader is replaced within this
SLACK = 1.0  # process scheduling on a busy shared machine (load averages of 10 seen)


class Cluster:
    """The processes of one module; tests kill and pause them, ``schedulers()`` tops them up."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_url = asyncio.run(create_pg_database())
        self.redis = RedisServer(root)
        self.env = {"FORUMLIVE_REDIS_URL": self.redis.url}
        self.web = Server(self.db_url, root / "web", self.env, scheduler=False)
        self.pool: list[SchedulerProcess] = []
        self.account = asyncio.run(self._start())

    async def _start(self) -> dict[str, str]:
        await self.web.ready()
        account = await make_account(self.db_url, "organiser")
        api = await Api.login(self.web.url, account["email"], account["password"])
        try:
            self.prog = await seed_programme(api)
        finally:
            await api.close()
        return account

    def schedulers(self, n: int = 2) -> list[SchedulerProcess]:
        self.pool = [p for p in self.pool if p.alive()]
        while len(self.pool) < n:
            self.pool.append(SchedulerProcess(self.db_url, self.root / "schedulers", self.env))
        return self.pool

    def close(self) -> None:
        procs = [*self.pool, self.web]
        for p in procs:  # all at once: they stop in parallel
            p.signal(signal.SIGCONT)
            p.signal(signal.SIGTERM)
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.proc.wait(15)
            p.stop()  # kills what did not stop, closes the log
        self.redis.stop()
        asyncio.run(drop_pg_database(self.db_url))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
async def api(cluster: Cluster):
    client = await Api.login(cluster.web.url, cluster.account["email"], cluster.account["password"])
    yield client
    await client.close()


@pytest.fixture
async def redis(cluster: Cluster):
    client = cluster.redis.client()
    yield client
    await client.aclose()


async def leading(
    cluster: Cluster, redis: Redis, timeout: float = 30
) -> tuple[SchedulerProcess, int]:
    """Two schedulers up, one of them holding the lease and done taking over."""
    procs = cluster.schedulers()

    async def settled() -> tuple[SchedulerProcess, int] | None:
        holder = await lease_holder(redis)
        if holder is None:
            return None
        token, pid = holder
        leader = next((p for p in procs if p.pid == pid), None)
        if leader is None or f"(token {token})" not in leader.log():
            return None
        if not all("waiting for the lease" in p.log() for p in procs):
            return None  # the follower is not yet competing
        return leader, token

    return await eventually(settled, timeout, "a scheduler leader", every=0.2)


def once_each(rows: list[Any]) -> None:
    seen = Counter((r.session_id, r.from_state, r.to_state) for r in rows)
    assert all(n == 1 for n in seen.values()), f"applied twice: {seen}"


async def test_two_schedulers_apply_each_transition_once_and_push_through_the_web_node(
    cluster: Cluster, api: Api, redis: Redis
) -> None:
    leader, token = await leading(cluster, redis)
    listener = await Listener().connect(cluster.web.url)
    try:
        t0 = utcnow()
        sessions = [
            await create_session(
                api,
                cluster.prog,
                t0 + timedelta(seconds=4 + i),
                t0 + timedelta(seconds=7 + i),
                room=i,
            )
            for i in range(3)
        ]
        await eventually(lambda: len(listener.of(EV_SESSION_STATE)) >= 9, 30, "nine pushes")
    finally:
        await listener.close()
    for s in sessions:
        rows = await transitions(cluster.db_url, s["id"])
        assert path_of(rows) == FULL_PATH
        assert {r.cause for r in rows} == {"timer"}
        assert {r.fencing_token for r in rows} == {token}, "only the leader acted"
        pushed = listener.of(EV_SESSION_STATE, s["id"])
        assert [(p["from"], p["to"]) for p in pushed] == FULL_PATH
    once_each(await transitions(cluster.db_url))
    assert leader.alive()


async def test_killing_the_leader_hands_over_within_the_lease_and_catches_up(
    cluster: Cluster, api: Api, redis: Redis
) -> None:
    leader, old_token = await leading(cluster, redis)
    t0 = utcnow()
    # Due while nobody leads (caught up by the next leader), and due after the handover (timers).
    gap = await create_session(
        api, cluster.prog, t0 + timedelta(seconds=2.6), t0 + timedelta(seconds=30), room=3
    )
    later = await create_session(
        api, cluster.prog, t0 + timedelta(seconds=7), t0 + timedelta(seconds=9), room=4
    )
    leader.signal(signal.SIGKILL)
    killed = time.monotonic()

    async def new_holder() -> tuple[int, int] | None:
        holder = await lease_holder(redis)
        return holder if holder is not None and holder[1] != leader.pid else None

    new_token, _ = await eventually(new_holder, 10, "another scheduler to lead", every=0.05)
    handover = time.monotonic() - killed
    assert handover <= LEASE + SLACK, f"handover took {handover:.2f} s"
    assert new_token > old_token

    await eventually(
        lambda: _states(cluster, later["id"], 3), 20, "the later session to end", every=0.2
    )
    gap_rows = await transitions(cluster.db_url, gap["id"])
    assert path_of(gap_rows) == FULL_PATH[:2]
    assert gap_rows[0].cause == "catch-up"  # its lobby was due while nobody led
    later_rows = await transitions(cluster.db_url, later["id"])
    assert path_of(later_rows) == FULL_PATH
    assert {r.cause for r in later_rows} == {"timer"}
    assert {r.fencing_token for r in gap_rows + later_rows} == {new_token}
    once_each(await transitions(cluster.db_url))


async def _states(cluster: Cluster, session_id: int, n: int) -> bool:
    return len(await transitions(cluster.db_url, session_id)) >= n


async def test_a_paused_leader_that_wakes_up_applies_nothing(
    cluster: Cluster, api: Api, redis: Redis
) -> None:
    leader, old_token = await leading(cluster, redis)
    leader.signal(signal.SIGSTOP)
    try:
        t0 = utcnow()
        s = await create_session(
            api, cluster.prog, t0 + timedelta(seconds=4), t0 + timedelta(seconds=6), room=5
        )

        async def new_holder() -> tuple[int, int] | None:
            holder = await lease_holder(redis)
            return holder if holder is not None and holder[1] != leader.pid else None

        new_token, _ = await eventually(new_holder, 10, "a new leader")
        await eventually(lambda: _states(cluster, s["id"], 2), 15, "the session to go live")
    finally:
        leader.signal(signal.SIGCONT)  # wakes with timers overdue and a lease it no longer has
    await eventually(lambda: _states(cluster, s["id"], 3), 15, "the session to end")
    await asyncio.sleep(1.0)  # time for the woken leader to try whatever it would try
    rows = await transitions(cluster.db_url, s["id"])
    assert path_of(rows) == FULL_PATH
    assert {r.fencing_token for r in rows} == {new_token}
    assert not [
        r for r in await transitions(cluster.db_url) if r.fencing_token == old_token and r.at > t0
    ]
    once_each(await transitions(cluster.db_url))
    await eventually(lambda: "lost the lease" in leader.log(), 10, "the old leader to step down")


async def test_a_programme_move_on_the_web_node_replans_the_scheduler_at_once(
    cluster: Cluster, api: Api, redis: Redis
) -> None:
    await leading(cluster, redis)
    t0 = utcnow()
    s = await create_session(
        api, cluster.prog, t0 + timedelta(minutes=10), t0 + timedelta(minutes=11), room=6
    )
    # Moved to a few seconds from now: only the re-plan can make it happen in time.
    start = t0 + timedelta(seconds=5)
    await api.call(
        "PATCH",
        f"/api/v1/sessions/{s['id']}",
        {"start": start.isoformat(), "end": (start + timedelta(seconds=2)).isoformat()},
    )
    await eventually(lambda: _states(cluster, s["id"], 3), 15, "the moved session to end")
    rows = await transitions(cluster.db_url, s["id"])
    assert path_of(rows) == FULL_PATH
    assert {r.cause for r in rows} == {"timer"}


async def test_with_redis_paused_no_one_acts_and_missed_steps_are_caught_up_once(
    cluster: Cluster, api: Api, redis: Redis
) -> None:
    await leading(cluster, redis)
    t0 = utcnow()
    s = await create_session(
        api, cluster.prog, t0 + timedelta(seconds=4), t0 + timedelta(seconds=60), room=7
    )
    cluster.redis.proc.send_signal(signal.SIGSTOP)
    try:
        await asyncio.sleep(LEASE + 3)  # lobby and start fall due while no lease can be confirmed
    finally:
        cluster.redis.proc.send_signal(signal.SIGCONT)
    resumed = utcnow()
    await eventually(lambda: _states(cluster, s["id"], 2), 15, "the session to go live")
    rows = await transitions(cluster.db_url, s["id"])
    assert path_of(rows) == FULL_PATH[:2]
    assert {r.cause for r in rows} == {"catch-up"}
    for row in rows:
        assert row.at >= resumed - timedelta(seconds=0.2), "nobody may act without the lease"
    once_each(await transitions(cluster.db_url))


async def test_a_leader_stopped_cleanly_exits_0_and_hands_over_at_once(
    cluster: Cluster, redis: Redis
) -> None:
    leader, _ = await leading(cluster, redis)
    leader.signal(signal.SIGTERM)
    stopped = time.monotonic()
    assert await asyncio.to_thread(leader.proc.wait, 20) == 0, leader.log()
    assert "stopping" in leader.log()

    async def other() -> tuple[int, int] | None:
        holder = await lease_holder(redis)
        return holder if holder is not None and holder[1] != leader.pid else None

    await eventually(other, 10, "the follower to take over", every=0.05)
    # Released, not expired: the follower's next look (every 20% of the lease) finds it free.
    assert time.monotonic() - stopped <= LEASE + SLACK


def test_the_standalone_scheduler_refuses_to_run_without_redis(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
    done = subprocess.run(
        ["forumlive", "scheduler", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FORUMLIVE_REDIS_URL" in done.stderr
