"""Fixtures of the scheduler tests: an app with its embedded scheduler, a private Redis."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from scheduler.service import SchedulerService
from server.app import create_app
from server.appkeys import scheduler_key
from server.settings import Settings
from tests.factories import Factory
from tests.scheduler.support import RedisServer


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "lobby_lead_minutes": 2 / 60,
            "green_room_lead_minutes": 3 / 60,
            "reminder_minutes": 0,
            "scheduler_resync_seconds": 30,
        }
    )


@pytest.fixture
async def sched_client(aiohttp_client: Any, fast_settings: Settings):
    """The real app with the embedded scheduler running (no Redis: it acts alone)."""
    return await aiohttp_client(create_app(fast_settings, scheduler=True))


@pytest.fixture
def sched(sched_client: Any) -> SchedulerService:
    return sched_client.app[scheduler_key]


@pytest.fixture
async def sched_factory(sched_client: Any) -> Factory:
    return Factory(sched_client)


@pytest.fixture
async def live_programme(sched_factory: Factory) -> dict[str, Any]:
    """A programme whose final week covers today, so sessions can be minutes away."""
    today = date.today()
    prog = await sched_factory.programme()
    r = await sched_factory.client.patch(
        f"/api/v1/events/{prog['event']['id']}",
        json={
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        },
        headers=await sched_factory.organiser_headers(),
    )
    assert r.status == 200, await r.text()
    return prog


@pytest.fixture
def redis_server(tmp_path: Path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()
