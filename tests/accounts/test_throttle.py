"""Repeated failed logins are throttled, in one process (memory) and across nodes (Redis)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid

import pytest
from redis.asyncio import Redis

from server.accounts import throttle as throttle_module
from server.accounts.throttle import FallbackThrottle, MemoryThrottle, RedisThrottle
from server.app import create_app
from server.appkeys import login_throttle_key
from tests.api.helpers import expect_error, ok_json
from tests.factories import Factory
from tests.live.conftest import start_redis
from tests.live.support import Stage

REDIS_URL = "redis://127.0.0.1:6379/0"
WINDOW = 2  # seconds, for Redis (real time): short, so the test can wait for it to pass
APP_WINDOW = 600  # seconds, for the in-process throttle (a controlled clock)


class Clock:
    """The throttle's clock only: the event loop keeps real time."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(throttle_module, "time", fake)
    return fake


@pytest.fixture
async def factory(aiohttp_client, settings, clock) -> Factory:
    app = create_app(settings.model_copy(update={"login_window_seconds": APP_WINDOW}))
    return Factory(await aiohttp_client(app))


async def attempt(client, password, email="target@example.org"):
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_five_failures_then_429_even_for_the_right_password(factory, clock):
    c = factory.client
    await factory.user(email="target@example.org", password="the right password")
    for _ in range(5):
        await expect_error(await attempt(c, "wrong password"), 401, "bad_credentials")
        clock.now += 10
    r = await attempt(c, "wrong password")
    error = await expect_error(r, 429, "too_many_attempts")
    retry = int(r.headers["Retry-After"])
    assert retry == APP_WINDOW - 50 + 1  # until the first failure leaves the window
    assert error["details"] == {"retry_after": retry}
    # The right password does not get through while the window lasts.
    clock.now += retry - 2
    r = await attempt(c, "the right password")
    await expect_error(r, 429, "too_many_attempts")
    assert "forumlive_session" not in r.cookies
    clock.now += 2
    body = await ok_json(await attempt(c, "the right password"))
    assert body["user"]["email"] == "target@example.org"


async def test_a_success_before_the_limit_starts_the_count_again(factory):
    c = factory.client
    await factory.user(email="target@example.org", password="the right password")
    for _ in range(4):
        await expect_error(await attempt(c, "wrong password"), 401, "bad_credentials")
    await ok_json(await attempt(c, "the right password"))
    await expect_error(await attempt(c, "wrong password"), 401, "bad_credentials")
    await ok_json(await attempt(c, "the right password"))


async def test_memory_throttle_window_slides(clock):
    throttle = MemoryThrottle(max_failures=3, window_seconds=60)
    for _ in range(2):
        await throttle.failed("k")
        clock.now += 10
    assert await throttle.retry_after("k") == 0
    await throttle.failed("k")
    assert await throttle.retry_after("k") == 60 - 20 + 1
    assert await throttle.retry_after("k", limit=4) == 0  # a larger limit for this key
    assert await throttle.retry_after("other") == 0
    clock.now += 40  # the first failure leaves the window: two remain
    assert await throttle.retry_after("k") == 0
    await throttle.failed("k")
    assert await throttle.retry_after("k") > 0
    await throttle.reset("k")
    assert await throttle.retry_after("k") == 0


async def test_one_address_fails_ten_times_more_before_it_is_blocked(
    aiohttp_client, settings, clock
):
    """A shared network (a campus, a conference NAT) is not locked out by a few typos."""
    app = create_app(settings.model_copy(update={"login_max_failures": 1}))
    factory = Factory(await aiohttp_client(app))
    c = factory.client
    await factory.user(email="target@example.org", password="the right password")
    for n in range(9):
        email = f"typo{n}@example.org"
        await expect_error(await attempt(c, "wrong password", email=email), 401, "bad_credentials")
        await expect_error(
            await attempt(c, "wrong password", email=email), 429, "too_many_attempts"
        )
    await ok_json(await attempt(c, "the right password"))
    await expect_error(
        await attempt(c, "wrong password", email="typo99@example.org"), 401, "bad_credentials"
    )
    # Ten failures from this address: now everyone behind it waits.
    await expect_error(await attempt(c, "the right password"), 429, "too_many_attempts")


@pytest.fixture
async def redis():
    client = Redis.from_url(REDIS_URL)
    prefix = f"forumlive-test:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_redis_throttle_is_shared_by_every_node(redis):
    client, prefix = redis
    node_a = RedisThrottle(client, max_failures=3, window_seconds=WINDOW, prefix=prefix)
    node_b = RedisThrottle(client, max_failures=3, window_seconds=WINDOW, prefix=prefix)
    await node_a.failed("email:x@example.org")
    await node_b.failed("email:x@example.org")
    assert await node_a.retry_after("email:x@example.org") == 0
    await node_a.failed("email:x@example.org")
    # The third failure, counted on two nodes, blocks on both.
    assert 1 <= await node_b.retry_after("email:x@example.org") <= WINDOW
    assert 1 <= await node_a.retry_after("email:x@example.org") <= WINDOW
    assert await node_a.retry_after("email:x@example.org", limit=4) == 0
    assert await node_b.retry_after("email:y@example.org") == 0
    # Later failures do not extend the window (expire NX): it ends WINDOW after the first.
    await node_b.failed("email:x@example.org")
    assert await client.ttl(prefix + "email:x@example.org") <= WINDOW
    await asyncio.sleep(WINDOW + 0.2)
    assert await node_a.retry_after("email:x@example.org") == 0
    await node_a.failed("email:z@example.org")
    await node_b.reset("email:z@example.org")
    assert await client.exists(prefix + "email:z@example.org") == 0


async def test_a_redis_outage_counts_on_this_node_instead_of_refusing_everyone(
    aiohttp_client, settings, caplog
):
    """Cluster mode with Redis paused, then gone: login, registration and join still
    answer, and the limits still hold (per node), instead of a 503 for everybody."""
    proc, url = start_redis()
    try:
        app = create_app(settings.model_copy(update={"redis_url": url, "login_max_failures": 3}))
        stage = await Stage(Factory(await aiohttp_client(app))).setup()
        c = stage.client
        person = await stage.factory.user(email="outage@example.org", password="the right one")
        assert isinstance(app[login_throttle_key], FallbackThrottle)

        os.kill(proc.pid, signal.SIGSTOP)  # hangs: each throttle call waits its timeout
        try:
            await expect_error(
                await attempt(c, "wrong password", "outage@example.org"), 401, "bad_credentials"
            )
        finally:
            os.kill(proc.pid, signal.SIGCONT)
        proc.kill()  # gone: refused at once
        proc.wait()
        for _ in range(2):
            await expect_error(
                await attempt(c, "wrong password", "outage@example.org"), 401, "bad_credentials"
            )
        await expect_error(  # the limit (3) holds, counted on this node
            await attempt(c, "the right one", "outage@example.org"), 429, "too_many_attempts"
        )
        r = await c.post(f"/api/v1/sessions/{stage.sid}/join", headers=person["headers"])
        assert r.status == 200, await r.text()
        assert (await r.json())["token"]
        assert "Redis unreachable" in caplog.text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
