"""The lease and its fencing token, against a private redis-server and the suite's database."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler import fence
from scheduler.fence import FenceLost
from scheduler.leader import Leader, Lease, NotLeader
from scheduler.service import SchedulerService
from scheduler.transitions import Transitions
from server.appkeys import db_key, pusher_key
from server.db.tables import Session
from server.domain.lifecycle import Leads
from server.names import SCHEDULER_LEASE_KEY
from server.settings import Settings
from tests.factories import Factory
from tests.scheduler.support import RedisServer, eventually, transitions

LEADS = Leads(timedelta(minutes=15), timedelta(minutes=30))


async def test_one_holder_at_a_time_and_every_lease_has_a_larger_token(
    redis_server: RedisServer,
) -> None:
    redis = redis_server.client()
    try:
        a, b, c = (Lease(redis, name, seconds=0.5) for name in "abc")
        assert await a.acquire() == 1
        assert await b.acquire() is None
        assert await a.renew() and a.held()
        assert not await b.renew()
        await a.release()
        assert await b.acquire() == 2
        await asyncio.sleep(0.7)  # b never renews: its lease expires in Redis and locally
        assert not b.held()
        assert await c.acquire() == 3
        assert not await b.renew()
        assert b.token is None
    finally:
        await redis.aclose()


async def _state(factory: Factory, session_id: int) -> str:
    async with factory.client.app[db_key].read() as s:
        return (await s.execute(select(Session.state).where(Session.id == session_id))).scalar_one()


async def test_a_leader_that_lost_its_lease_is_refused_even_if_it_thinks_it_holds_it(
    factory: Factory, redis_server: RedisServer, database_url: str
) -> None:
    prog = await factory.programme()
    sess = await factory.session(prog)  # May 2021: every step is long overdue
    db, pusher = factory.client.app[db_key], factory.client.app[pusher_key]
    redis = redis_server.client()
    try:
        old = Lease(redis, "old", seconds=30)
        old_token = await old.acquire()
        assert old_token is not None
        async with db.write() as s:
            await fence.claim(s, old_token)
        # The old leader stalls (GC, SIGSTOP …); its lease disappears and a new leader claims.
        await redis.delete(SCHEDULER_LEASE_KEY)
        new = Lease(redis, "new", seconds=30)
        new_token = await new.acquire()
        assert new_token is not None and new_token > old_token
        async with db.write() as s:
            await fence.claim(s, new_token)

        assert old.held(), "the stale leader still believes it leads"
        stale = Transitions(db, pusher, Leader(old), LEADS)
        with pytest.raises(FenceLost):
            await stale.advance(sess["id"])
        assert await _state(factory, sess["id"]) == "scheduled"
        assert await transitions(database_url) == []

        current = Transitions(db, pusher, Leader(new), LEADS)
        applied = await current.advance(sess["id"])
        assert [a.to_state for a in applied] == ["lobby", "live", "ended"]
        assert {r.fencing_token for r in await transitions(database_url)} == {new_token}
        # An old token can never claim back.
        async with db.write() as s:
            with pytest.raises(FenceLost):
                await fence.claim(s, old_token)
    finally:
        await redis.aclose()


async def test_without_the_lease_in_redis_nothing_is_applied(
    factory: Factory, redis_server: RedisServer, database_url: str
) -> None:
    prog = await factory.programme()
    sess = await factory.session(prog)
    db, pusher = factory.client.app[db_key], factory.client.app[pusher_key]
    redis = redis_server.client()
    try:
        lease = Lease(redis, "only", seconds=30)
        token = await lease.acquire()
        assert token is not None
        async with db.write() as s:
            await fence.claim(s, token)
        await redis.delete(SCHEDULER_LEASE_KEY)  # expired in Redis; no one else claimed yet
        with pytest.raises(NotLeader):
            await Transitions(db, pusher, Leader(lease), LEADS).advance(sess["id"])
        assert await _state(factory, sess["id"]) == "scheduled"
        assert await transitions(database_url) == []
    finally:
        await redis.aclose()


async def test_a_redis_that_forgot_its_token_counter_does_not_lock_schedulers_out(
    factory: Factory, redis_server: RedisServer, settings: Settings, database_url: str
) -> None:
    prog = await factory.programme()
    sess = await factory.session(prog)
    db = factory.client.app[db_key]
    async with db.write() as s:
        await fence.claim(s, 7)  # tokens up to 7 were used before Redis restarted empty
    redis = redis_server.client()
    svc = SchedulerService(
        db=db,
        pusher=factory.client.app[pusher_key],
        settings=settings.model_copy(
            update={"scheduler_lease_seconds": 0.5, "redis_url": redis_server.url}
        ),
        redis=redis,
    )
    try:
        await svc.start()
        await eventually(lambda: svc.ready.is_set(), 10, "the scheduler to take over")
        assert svc.authority.token is not None and svc.authority.token > 7
        rows = await transitions(database_url, sess["id"])
        assert [(r.to_state, r.cause) for r in rows] == [
            ("lobby", "catch-up"),
            ("live", "catch-up"),
            ("ended", "catch-up"),
        ]
        assert {r.fencing_token for r in rows} == {svc.authority.token}
    finally:
        await svc.stop()
        assert await redis.get(SCHEDULER_LEASE_KEY) is None  # released on stop
        await redis.aclose()
