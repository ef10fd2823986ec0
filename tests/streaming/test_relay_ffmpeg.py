"""Real ffmpeg pushes two language channels; a viewer plays back exactly what was pushed.

ffmpeg's tee muxer writes every segment to a local directory as well as to the
relay, so the bytes a viewer gets are compared with ffmpeg's own copy, not with
anything the server says it received.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp.test_utils import TestClient

from server.streaming.hls import parse_playlist
from tests.api.helpers import expect_error
from tests.streaming.support import Stage, Studio, ffmpeg_command, playlist_uris, run_ffmpeg

CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",
}


async def push_both(studio: Studio, stage: Stage, tmp_path: Path, seconds: float) -> None:
    base = str(studio.client.make_url("/"))
    await asyncio.gather(
        run_ffmpeg(
            ffmpeg_command(
                base, stage.ingest("floor", "index.m3u8"), stage.key, seconds, tmp_path / "floor",
                list_size=3,
            )
        ),
        run_ffmpeg(
            ffmpeg_command(
                base, stage.ingest("fr", "index.m3u8"), stage.key, seconds, tmp_path / "fr",
                segment_type="fmp4", list_size=3,
            )
        ),
    )  # fmt: skip


async def fetch(client: TestClient, url: str, **kw: object) -> bytes:
    r = await client.get(url, **kw)  # type: ignore[arg-type]
    assert r.status == 200, f"{url}: {r.status} {await r.text()}"
    ext = url.split("?")[0].rsplit(".", 1)[1]
    assert r.headers["Content-Type"] == CONTENT_TYPES[ext]
    if ext == "m3u8":
        assert r.headers["Cache-Control"] == "private, no-cache"
    else:
        assert r.headers["Cache-Control"].startswith("private, max-age=")
    return await r.read()


async def test_two_channels_play_back_byte_for_byte(studio: Studio, tmp_path: Path) -> None:
    stage = await studio.stage()
    await push_both(studio, stage, tmp_path, seconds=6)
    info = await studio.stream_info(stage)
    assert [c["key"] for c in info["channels"]] == ["floor", "fr"]
    assert info["on_air"] is True
    for channel in info["channels"]:
        local = tmp_path / channel["key"]
        pushed = parse_playlist((local / "index.m3u8").read_bytes())
        # The playlist, with the signed parameter on every URI.
        text = (await fetch(studio.client, channel["url"])).decode()
        t = channel["url"].split("?t=", 1)[1]
        uris = playlist_uris(text)
        assert uris and all(u.endswith("?t=" + t) for u in uris)
        served = parse_playlist(text.replace("?t=" + t, "").encode())
        assert served.ended and len(served.entries) == 3  # -hls_list_size 3
        # The relay lists ffmpeg's last three segments, with ffmpeg's durations.
        assert [(e.uri, e.duration) for e in served.entries] == [
            (e.uri, e.duration) for e in pushed.entries[-3:]
        ]
        # Every URI it names, fetched as a player would, is ffmpeg's own file.
        for uri in uris:
            body = await fetch(studio.client, f"/hls/{stage.room_id}/{channel['key']}/{uri}")
            assert body == (local / uri.split("?")[0]).read_bytes(), uri
        # ffmpeg retired its first segment with DELETE (-hls_flags delete_segments).
        first = pushed.entries[0].uri
        r = await studio.client.get(f"/hls/{stage.room_id}/{channel['key']}/{first}?t={t}")
        await expect_error(r, 404, "not_found")
    # The fMP4 channel's init section went through the rewrite too.
    assert any(u.startswith("init.mp4?t=") for u in playlist_uris(
        (await fetch(studio.client, info["channels"][1]["url"])).decode()
    ))  # fmt: skip


async def test_hls_js_style_header_auth_gets_the_playlist_unchanged(
    studio: Studio, tmp_path: Path
) -> None:
    stage = await studio.stage()
    base = str(studio.client.make_url("/"))
    await run_ffmpeg(
        ffmpeg_command(base, stage.ingest("floor", "index.m3u8"), stage.key, 3, tmp_path)
    )
    text = await fetch(
        studio.client, stage.hls("floor", "index.m3u8"), headers=stage.viewer_headers
    )
    assert b"?t=" not in text
    for uri in playlist_uris(text.decode()):
        body = await fetch(studio.client, stage.hls("floor", uri), headers=stage.viewer_headers)
        assert body == (tmp_path / uri).read_bytes()
