"""Fixtures of the hardening battery: the live-room stage and Redis of tests/live, reused."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import PG_URL, _migrate, _pg_admin
from tests.live.conftest import (  # noqa: F401  (fixtures, registered by being imported)
    make_stage,
    peers,
    redis_server,
    redis_url,
    stage,
    start_redis,
)
from tests.security.cluster import Cluster, Node


@pytest.fixture(scope="session")
def cluster_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for the two-node tests (whatever the run's DB)."""
    name = f"forumlive_security_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def cluster_redis() -> Iterator[str]:
    proc, url = start_redis()
    try:
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="session")
def cluster(
    cluster_database: str, cluster_redis: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two ``forumlive serve`` nodes sharing the database and Redis, with a session on now."""
    tmp = tmp_path_factory.mktemp("cluster")
    secret = "security-cluster-" + uuid.uuid4().hex
    group = Cluster(cluster_database, cluster_redis)
    try:
        for i in range(2):
            group.nodes.append(Node(cluster_database, cluster_redis, tmp / f"node{i}", secret))

        async def start() -> None:
            await asyncio.gather(*(node.ready() for node in group.nodes))
            await group.setup()

        asyncio.run(start())
        yield group
    finally:
        for node in group.nodes:
            node.stop()
