"""Fixtures of the exchange tests: the full demo programme in the test database."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.appkeys import db_key
from server.demo.loader import load_demo
from tests.live.conftest import redis_server, redis_url  # noqa: F401  (a real Redis, for two nodes)


@pytest.fixture
async def demo(client: TestClient) -> Any:
    """The 2021 demo programme (the reference dates), loaded as ``forumlive demo`` does."""
    report = await load_demo(client.app[db_key], year=2021)
    assert report.created and report.sessions >= 250
    return report
