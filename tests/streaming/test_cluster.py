"""Two real ``forumlive serve`` nodes and a Redis of the test's own: any node serves any segment.

ffmpeg pushes to node A; a viewer plays from node B, byte for byte what ffmpeg
wrote. Ingest split across nodes, key rotation and replays work the same.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from server.streaming.hls import parse_playlist
from tests.scheduler.support import (
    Api,
    RedisServer,
    Server,
    create_session,
    eventually,
    make_account,
    seed_programme,
    utcnow,
)
from tests.streaming.support import RELAY_CHANNELS, ffmpeg_command, playlist_uris, run_ffmpeg

pytestmark = pytest.mark.slow


@pytest.fixture
async def nodes(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Server, Server, RedisServer]]:
    redis = RedisServer(tmp_path)
    env = {
        "FORUMLIVE_REDIS_URL": redis.url,
        "FORUMLIVE_SECRET_KEY": secrets.token_urlsafe(32),  # every node shares it
        "FORUMLIVE_REPLAY_DIR": str(tmp_path / "replay"),  # the shared volume
        "FORUMLIVE_STREAM_HEALTH_INTERVAL_SECONDS": "0.2",
    }
    a = Server(database_url, tmp_path / "a", env, scheduler=False)
    b = Server(database_url, tmp_path / "b", env, scheduler=False)
    try:
        await asyncio.gather(a.ready(), b.ready())
        yield a, b, redis
    finally:
        a.stop()
        b.stop()
        redis.stop()


async def get(http: aiohttp.ClientSession, url: str, **kw: Any) -> bytes:
    async with http.get(url, **kw) as r:
        body = await r.read()
        assert r.status == 200, f"{url}: {r.status} {body[:300]!r}"
        return body


async def put(url: str, body: bytes, key: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.put(url, data=body, headers={"Authorization": f"Bearer {key}"}) as r,
    ):
        return r.status


async def test_a_segment_pushed_to_one_node_is_served_by_the_other(
    nodes: tuple[Server, Server, RedisServer], database_url: str, tmp_path: Path
) -> None:
    a, b, _redis = nodes
    org = await make_account(database_url, "organiser")
    viewer = await make_account(database_url)
    org_a = await Api.login(a.url, org["email"], org["password"])
    org_b = await Api.login(b.url, org["email"], org["password"])
    viewer_b = await Api.login(b.url, viewer["email"], viewer["password"])
    http = aiohttp.ClientSession()
    try:
        prog = await seed_programme(org_a)
        await org_a.call(
            "PATCH", f"/api/v1/events/{prog['event']['id']}", {"languages": ["en", "fr"]}
        )
        room_id = prog["rooms"][0]["id"]
        await org_a.call(
            "PUT",
            f"/api/v1/rooms/{room_id}/stream",
            {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True},
        )
        start = utcnow() - timedelta(minutes=1)
        session = await create_session(org_a, prog, start, start + timedelta(hours=1))
        key = (await org_a.call("POST", f"/api/v1/rooms/{room_id}/stream-key", expect=201))[
            "stream_key"
        ]
        await viewer_b.call("POST", f"/api/v1/sessions/{session['id']}/signup", expect=201)
        join = await viewer_b.call("POST", f"/api/v1/sessions/{session['id']}/join")
        token = join["token"]

        # ffmpeg pushes to node A only.
        local = tmp_path / "pushed"
        await run_ffmpeg(
            ffmpeg_command(a.url, f"/ingest/{room_id}/floor/index.m3u8", key, 4, local, list_size=3)
        )
        # Node B serves every segment, byte for byte what ffmpeg wrote.
        async with http.get(
            f"{b.url}/api/v1/sessions/{session['id']}/stream",
            headers={"Authorization": f"Bearer {token}"},
        ) as r:
            assert r.status == 200, await r.text()
            info = await r.json()
        floor = info["channels"][0]
        text = (await get(http, b.url + floor["url"])).decode()
        uris = playlist_uris(text)
        assert len(uris) == 3
        for uri in uris:
            body = await get(http, f"{b.url}/hls/{room_id}/floor/{uri}")
            assert body == (local / uri.split("?")[0]).read_bytes()
        # Health, judged on Redis, reads the same on both nodes.
        health_a = (await org_a.call("GET", f"/api/v1/rooms/{room_id}/stream"))["health"][0]
        health_b = (await org_b.call("GET", f"/api/v1/rooms/{room_id}/stream"))["health"][0]
        assert health_a["last_segment_at"] == health_b["last_segment_at"] is not None
        assert health_b["target_duration"] == 1.0

        # One request to each node: a segment to B, its playlist to A; both nodes serve both.
        playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsplit0.ts\n"
        assert await put(f"{b.url}/ingest/{room_id}/fr/split0.ts", b"\x47" * 188, key) == 204
        assert await put(f"{a.url}/ingest/{room_id}/fr/index.m3u8", playlist, key) == 204
        viewer_headers = {"Authorization": f"Bearer {token}"}
        for node in (a, b):
            assert (
                await get(http, f"{node.url}/hls/{room_id}/fr/index.m3u8", headers=viewer_headers)
                == playlist
            )
            assert (
                await get(http, f"{node.url}/hls/{room_id}/fr/split0.ts", headers=viewer_headers)
                == b"\x47" * 188
            )

        # A key rotated on B is refused on A too (each node re-reads within seconds).
        new_key = (await org_b.call("POST", f"/api/v1/rooms/{room_id}/stream-key", expect=201))[
            "stream_key"
        ]

        async def old_key_refused() -> bool:
            return await put(f"{a.url}/ingest/{room_id}/fr/split1.ts", b"\x47" * 188, key) == 401

        await eventually(old_key_refused, 5, "node A to refuse the old key")
        assert await put(f"{a.url}/ingest/{room_id}/fr/split1.ts", b"\x47" * 188, new_key) == 204

        # The replay, recorded through node A, is published and plays from both nodes.
        for action in ("start-early", "end-now"):
            await org_b.call("POST", f"/api/v1/sessions/{session['id']}/{action}")

        async def published() -> list[dict[str, Any]]:
            got = await viewer_b.call("GET", f"/api/v1/sessions/{session['id']}/replay")
            return [c for c in got["channels"] if c["key"] == "floor"]

        [replay] = await eventually(published, 15, "the replay to be published")
        expected = [
            (local / e.uri).read_bytes()
            for e in parse_playlist((local / "index.m3u8").read_bytes()).entries
        ]
        headers = {"Authorization": f"Bearer {viewer_b.token}"}  # a login works on every node
        for node in (a, b):
            vod = (await get(http, node.url + replay["url"], headers=headers)).decode()
            assert "#EXT-X-ENDLIST" in vod
            bodies = [
                await get(http, f"{node.url}/replay/{session['id']}/floor/{e.uri}", headers=headers)
                for e in parse_playlist(vod.encode()).entries
            ]
            assert bodies == expected
    finally:
        await http.close()
        for api in (org_a, org_b, viewer_b):
            await api.close()
