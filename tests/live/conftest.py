"""Fixtures for the live rooms: a session happening now, peers that get closed, Redis.

The default stage runs with generous rate limits so feature tests are not throttled;
tests of the limits build their own stage with ``make_stage(**settings)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from redis import Redis

from server.app import create_app
from server.settings import Settings
from tests.factories import Factory
from tests.live.support import Peers, Stage, free_port

GENEROUS = {
    "live_chat_rate_per_second": 1000.0,
    "live_chat_burst": 1000,
    "live_qa_rate_per_minute": 60_000.0,
    "live_qa_burst": 1000,
    "live_events_per_second": 1000.0,
    "live_events_burst": 1000,
    "live_presence_interval_seconds": 0.1,
    "live_roster_interval_seconds": 0.1,
}

MakeStage = Callable[..., Awaitable[Stage]]


@pytest.fixture
def make_stage(aiohttp_client: Any, settings: Settings) -> MakeStage:
    async def make(**overrides: Any) -> Stage:
        app = create_app(settings.model_copy(update={**GENEROUS, **overrides}))
        client = await aiohttp_client(app)
        return await Stage(Factory(client)).setup()

    return make


@pytest.fixture
async def stage(make_stage: MakeStage) -> Stage:
    return await make_stage()


@pytest.fixture
async def peers(stage: Stage) -> AsyncIterator[Peers]:
    group = Peers(stage)
    try:
        yield group
    finally:
        await group.close()


def start_redis() -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is needed (apt-get install redis-server)"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            Redis.from_url(url).ping()
            return proc, url
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """A redis-server of our own on a free port, for the whole run."""
    proc, url = start_redis()
    try:
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The test Redis, emptied: ids restart with every test database."""
    Redis.from_url(redis_server).flushall()
    return redis_server


async def eventually(check: Callable[[], Any], timeout: float = 5, every: float = 0.05) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(every)
