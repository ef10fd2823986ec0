"""Ingest: only the room's stream key, only allow-listed names, only sane sizes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from server.app import create_app
from server.appkeys import relay_key
from server.settings import Settings
from server.streaming.store import MemoryStore
from tests.api.helpers import expect_error
from tests.factories import Factory
from tests.streaming.support import RELAY_CHANNELS, Stage, Studio

TS = b"\x47" + bytes(187)
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nindex0.ts\n"


def stored(client: TestClient) -> int:
    store = client.app[relay_key].store
    assert isinstance(store, MemoryStore)
    return len(store)


async def put(studio: Studio, path: str, body: bytes, headers: dict[str, str]) -> Any:
    return await studio.client.put(URL(path, encoded=True), data=body, headers=headers)


async def test_a_playlist_and_a_segment_go_in_with_the_key(studio: Studio) -> None:
    stage = await studio.stage()
    r = await put(studio, stage.ingest("floor", "index0.ts"), TS, stage.key_headers)
    assert r.status == 204, await r.text()
    r = await put(studio, stage.ingest("floor", "index.m3u8"), PLAYLIST, stage.key_headers)
    assert r.status == 204, await r.text()
    r = await studio.client.get(stage.hls("floor", "index0.ts"), headers=stage.viewer_headers)
    assert await r.read() == TS


async def test_without_the_right_key_nothing_goes_in(studio: Studio) -> None:
    stage = await studio.stage()
    for headers in (
        {},
        {"Authorization": "Bearer fls_wrong"},
        {"Authorization": "Basic Zm9vOmJhcg=="},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Authorization": f"Bearer {stage.token}"},  # a viewer's join token is no stream key
    ):
        r = await put(studio, stage.ingest("floor", "index0.ts"), TS, headers)
        await expect_error(r, 401, "unauthorized")
        assert r.headers["WWW-Authenticate"] == "Bearer"
        r = await studio.client.delete(stage.ingest("floor", "index0.ts"), headers=headers)
        await expect_error(r, 401, "unauthorized")
    assert stored(studio.client) == 0


async def test_another_rooms_key_and_an_unknown_room_look_alike(studio: Studio) -> None:
    stage = await studio.stage()
    other = await studio.stage()
    r1 = await put(studio, other.ingest("floor", "index0.ts"), TS, stage.key_headers)
    r2 = await put(studio, "/ingest/987654/floor/index0.ts", TS, stage.key_headers)
    e1 = await expect_error(r1, 401, "unauthorized")
    e2 = await expect_error(r2, 401, "unauthorized")
    assert e1 == e2
    assert stored(studio.client) == 0


PATH_TRICKS = [
    ("floor/..%2f..%2fetc%2fpasswd", 400),
    ("floor/%2e%2e", 400),
    ("floor/a%2Fb.ts", 400),
    ("floor/index0.ts%00", 400),
    ("floor/index0.ts%0a", 400),
    ("floor/%2fetc%2fpasswd", 400),
    ("floor/.hidden.ts", 400),
    ("floor/index.m3u8.tmp", 400),
    ("floor/index.php", 400),
    ("floor/" + "a" * 65 + ".ts", 400),
    ("floor/" + "a" * 5000 + ".ts", 400),
    ("floor/..", 404),  # the client already resolves it to /ingest/<room>/
    ("%2e%2e/index0.ts", 404),
    ("fl%2foor/index0.ts", 404),
    ("FLOOR/index0.ts", 404),
    ("floor//etc/passwd", 404),
    ("floor/a/b.ts", 404),
]


async def test_path_tricks_are_refused(studio: Studio) -> None:
    stage = await studio.stage()
    for tail, status in PATH_TRICKS:
        r = await put(studio, f"/ingest/{stage.room_id}/{tail}", TS, stage.key_headers)
        assert r.status == status, (tail, await r.text())
        assert (await r.json())["error"]["code"] in ("bad_file_name", "not_found")
        # Playback refuses the same names (and never explains why).
        r = await studio.client.get(
            URL(f"/hls/{stage.room_id}/{tail}", encoded=True), headers=stage.viewer_headers
        )
        await expect_error(r, 404, "not_found")
    assert stored(studio.client) == 0


async def test_absolute_room_paths_are_not_rooms(studio: Studio) -> None:
    stage = await studio.stage()
    for room in ("%2e%2e", "1.0", "-1", "0x1", "1" * 30):
        r = await put(studio, f"/ingest/{room}/floor/index0.ts", TS, stage.key_headers)
        assert r.status in (401, 404), await r.text()
    assert stored(studio.client) == 0


async def test_channels_are_the_rooms_configured_ones(studio: Studio) -> None:
    stage = await studio.stage()
    r = await put(studio, stage.ingest("es", "index0.ts"), TS, stage.key_headers)
    error = await expect_error(r, 404, "unknown_channel")
    assert error["details"] == {"channels": ["floor", "fr"]}


async def test_a_room_on_another_provider_takes_no_pushes(studio: Studio) -> None:
    stage = await studio.stage()
    await studio.configure(
        stage.room_id,
        {
            "provider": "hls_url",
            "channels": [{"key": "floor", "label": "F", "url": "https://cdn.example.org/a.m3u8"}],
        },
    )
    r = await put(studio, stage.ingest("floor", "index0.ts"), TS, stage.key_headers)
    await expect_error(r, 409, "not_relay")


async def test_playlists_pointing_elsewhere_are_refused(studio: Studio) -> None:
    stage = await studio.stage()
    for body in (
        b"#EXTM3U\n#EXTINF:2.0,\nhttps://evil.example/x.ts\n",
        b"#EXTM3U\n#EXTINF:2.0,\n../../1/floor/index0.ts\n",
        b"<html>not a playlist</html>",
    ):
        r = await put(studio, stage.ingest("floor", "index.m3u8"), body, stage.key_headers)
        await expect_error(r, 422, "bad_playlist")
    r = await put(studio, stage.ingest("floor", "index0.ts"), b"", stage.key_headers)
    await expect_error(r, 400, "empty_segment")
    assert stored(studio.client) == 0


async def test_delete_retires_a_segment(studio: Studio) -> None:
    stage = await studio.stage()
    await put(studio, stage.ingest("floor", "index0.ts"), TS, stage.key_headers)
    r = await studio.client.delete(stage.ingest("floor", "index0.ts"), headers=stage.key_headers)
    assert r.status == 204
    r = await studio.client.delete(stage.ingest("floor", "index0.ts"), headers=stage.key_headers)
    assert r.status == 204  # already gone: still fine
    r = await studio.client.get(stage.hls("floor", "index0.ts"), headers=stage.viewer_headers)
    await expect_error(r, 404, "not_found")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Small limits, so the test sends little; the defaults are 64 KiB and 16 MiB.
    return settings.model_copy(
        update={"stream_max_playlist_bytes": 4096, "stream_max_segment_bytes": 128 * 1024}
    )


async def test_size_limits_hold_with_and_without_content_length(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await aiohttp_client(create_app(settings))
    studio = await Studio(Factory(client)).setup()
    stage: Stage = await studio.stage({"provider": "relay", "channels": RELAY_CHANNELS})
    big_playlist = b"#EXTM3U\n" + b"#EXT-X-PROGRAM-DATE-TIME:2021-05-18T10:00:00Z\n" * 200
    r = await put(studio, stage.ingest("floor", "index.m3u8"), big_playlist, stage.key_headers)
    await expect_error(r, 413, "payload_too_large")

    async def chunks(total: int):  # no Content-Length: chunked transfer, as ffmpeg sends
        sent = 0
        while sent < total:
            yield TS * 100
            sent += len(TS) * 100

    r = await studio.client.put(
        stage.ingest("floor", "index0.ts"), data=chunks(200 * 1024), headers=stage.key_headers
    )
    await expect_error(r, 413, "payload_too_large")
    r = await put(studio, stage.ingest("floor", "index1.ts"), bytes(129 * 1024), stage.key_headers)
    await expect_error(r, 413, "payload_too_large")
    r = await put(studio, stage.ingest("floor", "index2.ts"), bytes(127 * 1024), stage.key_headers)
    assert r.status == 204
    assert stored(client) == 1
