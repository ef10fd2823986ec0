"""Stream health: live while ffmpeg pushes, offline three target durations after it stops,
and each change pushed to the session's viewers over a real Socket.IO ``/live`` connection."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.names import EV_STREAM_HEALTH, LIVE_NAMESPACE
from server.settings import Settings
from tests.factories import Factory
from tests.scheduler.support import eventually
from tests.streaming.support import Stage, Studio, ffmpeg_command, run_ffmpeg


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    # Judge health every 0.1 s, so "offline" is seen close to when it happens.
    app = create_app(settings.model_copy(update={"stream_health_interval_seconds": 0.1}))
    return await aiohttp_client(app)


class Viewer:
    """A real Socket.IO client in the session's live room, recording ``stream:health``."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.health: list[dict[str, Any]] = []
        self.sio.on(EV_STREAM_HEALTH, self._record, namespace=LIVE_NAMESPACE)

    async def _record(self, data: dict[str, Any]) -> None:
        self.health.append(data)

    async def join(self, client: TestClient, stage: Stage) -> Viewer:
        await self.sio.connect(
            str(client.make_url("/")),
            namespaces=[LIVE_NAMESPACE],
            transports=["websocket"],
            auth={"token": stage.token},
            wait_timeout=10,
        )
        return self


async def room_health(studio: Studio, room_id: int) -> dict[str, dict[str, Any]]:
    r = await studio.client.get(
        f"/api/v1/rooms/{room_id}/stream", headers=await studio.factory.organiser_headers()
    )
    assert r.status == 200, await r.text()
    return {h["channel"]: h for h in (await r.json())["health"]}


async def test_health_goes_live_then_offline_and_viewers_hear_it(client: TestClient) -> None:
    studio = await Studio(Factory(client)).setup()
    stage = await studio.stage()
    elsewhere = await studio.stage()  # another room's session: hears nothing of this one
    viewer = await Viewer().join(client, stage)
    bystander = await Viewer().join(client, elsewhere)
    try:
        assert (await room_health(studio, stage.room_id))["floor"]["status"] == "offline"
        base = str(client.make_url("/"))
        pushing = asyncio.create_task(
            # The plain command of docs/streaming.md (no tee copy): -method PUT -headers …
            run_ffmpeg(ffmpeg_command(base, stage.ingest("floor", "index.m3u8"), stage.key, 4))
        )

        async def live() -> bool:
            return (await room_health(studio, stage.room_id))["floor"]["status"] == "live"

        await eventually(live, 10, "the floor channel to go live")
        assert not pushing.done()  # live while ffmpeg is still pushing
        info = await studio.stream_info(stage)
        assert [c["status"] for c in info["channels"]] == ["live", "offline"]
        await eventually(lambda: viewer.health, 5, "the viewer to hear 'live'")
        await pushing
        stopped = time.monotonic()
        last = await room_health(studio, stage.room_id)
        assert last["floor"]["target_duration"] == 1.0  # #EXT-X-TARGETDURATION for -hls_time 1

        async def offline() -> bool:
            return (await room_health(studio, stage.room_id))["floor"]["status"] == "offline"

        await eventually(offline, 10, "the floor channel to go offline")
        assert time.monotonic() - stopped < 3 * 1.0 + 2.0  # 3 targets + the judge's tick, slack
        await eventually(lambda: len(viewer.health) >= 2, 5, "the viewer to hear 'offline'")
        await asyncio.sleep(0.5)  # nothing more is coming
        assert [(h["channel"], h["status"]) for h in viewer.health] == [
            ("floor", "live"),
            ("floor", "offline"),
        ]
        assert all(h["room_id"] == stage.room_id for h in viewer.health)
        live_at, offline_at = (datetime.fromisoformat(h["at"]) for h in viewer.health)
        last_segment = datetime.fromisoformat(last["floor"]["last_segment_at"])
        # Not judged offline before three target durations without a segment.
        assert (offline_at - last_segment).total_seconds() >= 3 * 1.0
        assert live_at <= last_segment
        assert bystander.health == []
    finally:
        await viewer.sio.disconnect()
        await bystander.sio.disconnect()
