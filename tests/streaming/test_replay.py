"""Replays: with keep_replay, the relay keeps every segment and publishes a VOD when the session ends."""

from __future__ import annotations

from pathlib import Path

from server.appkeys import relay_key
from server.streaming.hls import parse_playlist
from tests.api.helpers import expect_error, ok_json
from tests.scheduler.support import eventually
from tests.streaming.support import RELAY_CHANNELS, Stage, Studio, ffmpeg_command, run_ffmpeg


async def end_session(studio: Studio, stage: Stage) -> None:
    headers = await studio.factory.organiser_headers()
    for action in ("start-early", "end-now"):
        r = await studio.client.post(
            f"/api/v1/sessions/{stage.session_id}/{action}", headers=headers
        )
        assert r.status == 200, await r.text()


async def published(studio: Studio, stage: Stage) -> dict[str, dict[str, object]]:
    r = await studio.client.get(
        f"/api/v1/sessions/{stage.session_id}/replay", headers=stage.viewer["headers"]
    )
    return {c["key"]: c for c in (await ok_json(r))["channels"]}


async def push(studio: Studio, stage: Stage, local: Path, seconds: float) -> None:
    base = str(studio.client.make_url("/"))
    await run_ffmpeg(
        ffmpeg_command(
            base, stage.ingest("floor", "index.m3u8"), stage.key, seconds, local, list_size=2
        )
    )


async def play_vod(studio: Studio, stage: Stage, url: str) -> tuple[str, list[bytes]]:
    headers = stage.viewer["headers"]  # any signed-in account
    r = await studio.client.get(url, headers=headers)
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    text = await r.text()
    bodies = []
    for entry in parse_playlist(text.encode()).entries:
        r = await studio.client.get(url.rsplit("/", 1)[0] + "/" + entry.uri, headers=headers)
        assert r.status == 200, await r.text()
        assert r.headers["Content-Type"] == "video/mp2t"
        bodies.append(await r.read())
    return text, bodies


def pushed(local: Path) -> tuple[list[bytes], float]:
    entries = parse_playlist((local / "index.m3u8").read_bytes()).entries
    return [(local / e.uri).read_bytes() for e in entries], sum(e.duration for e in entries)


async def test_the_whole_session_is_published_as_vod_when_it_ends(
    studio: Studio, tmp_path: Path
) -> None:
    stage = await studio.stage(
        {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True}
    )
    await push(studio, stage, tmp_path / "local", 5)
    vod = f"/replay/{stage.session_id}/floor/index.m3u8"
    assert await published(studio, stage) == {}
    await expect_error(
        await studio.client.get(vod, headers=stage.viewer["headers"]), 404, "not_found"
    )
    await end_session(studio, stage)
    channels = await eventually(lambda: published(studio, stage), 15, "the replay")
    assert list(channels) == ["floor"]  # nothing was pushed on fr
    floor = channels["floor"]
    assert floor["url"] == vod and floor["label"] == "Floor"
    text, bodies = await play_vod(studio, stage, vod)
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    assert "#EXT-X-DISCONTINUITY" not in text
    # Every segment ffmpeg made — also the ones it DELETEd from the live window — in order.
    expected, duration = pushed(tmp_path / "local")
    assert len(expected) >= 5
    assert bodies == expected
    assert floor["segments"] == len(expected)
    assert abs(float(floor["duration_s"]) - duration) < 0.01  # type: ignore[arg-type]
    # Registered users only.
    await expect_error(await studio.client.get(vod), 401, "unauthorized")
    r = await studio.client.get(f"/api/v1/sessions/{stage.session_id}/replay")
    await expect_error(r, 401, "unauthorized")


async def test_an_encoder_restart_is_a_discontinuity_not_a_loss(
    studio: Studio, tmp_path: Path
) -> None:
    stage = await studio.stage(
        {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True}
    )
    await push(studio, stage, tmp_path / "first", 3)
    await push(studio, stage, tmp_path / "second", 3)  # same file names again: index0.ts …
    await end_session(studio, stage)
    channels = await eventually(lambda: published(studio, stage), 15, "the replay")
    text, bodies = await play_vod(studio, stage, str(channels["floor"]["url"]))
    first, _ = pushed(tmp_path / "first")
    second, _ = pushed(tmp_path / "second")
    assert bodies == first + second
    lines = text.splitlines()
    assert lines.count("#EXT-X-DISCONTINUITY") == 1
    # The marker sits right before the second run's first segment.
    uris = [line for line in lines if not line.startswith("#")]
    marker = lines.index("#EXT-X-DISCONTINUITY")
    assert lines[marker + 2] == uris[len(first)]


async def test_without_keep_replay_nothing_is_kept(studio: Studio, tmp_path: Path) -> None:
    stage = await studio.stage()
    await push(studio, stage, tmp_path / "local", 2)
    await end_session(studio, stage)
    assert await published(studio, stage) == {}
    root = studio.client.app[relay_key].replays.root
    assert not list(root.glob("**/*.ts"))


async def test_segments_and_playlists_meet_in_any_order(studio: Studio) -> None:
    """ffmpeg does not wait for answers: a playlist may be handled before the segment it names."""
    stage = await studio.stage(
        {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True}
    )
    recorder = studio.client.app[relay_key].replays
    sid = stage.session_id

    def playlist(seq: int, names: list[str], end: bool = False) -> bytes:
        lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{seq}"]
        for name in names:
            lines += ["#EXTINF:2.000000,", name]
        return ("\n".join(lines + (["#EXT-X-ENDLIST"] if end else [])) + "\n").encode()

    # Run 1: the playlist first, then the segments, the second before the first.
    await recorder.playlist(sid, "floor", parse_playlist(playlist(0, ["index0.ts", "index1.ts"])))
    await recorder.segment(sid, "floor", "index1.ts", b"one")
    await recorder.segment(sid, "floor", "index0.ts", b"zero")
    await recorder.playlist(sid, "floor", parse_playlist(playlist(1, ["index1.ts", "index2.ts"])))
    await recorder.segment(sid, "floor", "index2.ts", b"two")
    # The encoder restarts: its new first playlist (media sequence back to 0) comes first …
    await recorder.playlist(sid, "floor", parse_playlist(playlist(0, ["index0.ts"])))
    await recorder.segment(sid, "floor", "index0.ts", b"zero again")
    # … then a segment before its playlist, and one that no playlist ever names.
    await recorder.segment(sid, "floor", "index1.ts", b"one again")
    await recorder.playlist(sid, "floor", parse_playlist(playlist(0, ["index0.ts", "index1.ts"])))
    await recorder.segment(sid, "floor", "index9.ts", b"never listed")
    assert await recorder.publish(sid, "floor")
    assert not await recorder.publish(sid, "floor")  # once only
    vod = (recorder.session_dir(sid, "floor") / "index.m3u8").read_text()
    entries = parse_playlist(vod.encode()).entries
    bodies = [(recorder.session_dir(sid, "floor") / e.uri).read_bytes() for e in entries]
    assert bodies == [b"zero", b"one", b"two", b"zero again", b"one again"]
    assert [e.discontinuity for e in entries] == [False, False, False, True, False]
    assert not any(
        p.read_bytes() == b"never listed" for p in recorder.session_dir(sid, "floor").iterdir()
    )
    # Published is final: late files change nothing.
    await recorder.segment(sid, "floor", "index2.ts", b"late")
    assert (recorder.session_dir(sid, "floor") / "index.m3u8").read_text() == vod


async def test_an_fmp4_channel_replays_with_its_init_section(
    studio: Studio, tmp_path: Path
) -> None:
    stage = await studio.stage(
        {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True}
    )
    base = str(studio.client.make_url("/"))
    local = tmp_path / "fr"
    await run_ffmpeg(
        ffmpeg_command(
            base, stage.ingest("fr", "index.m3u8"), stage.key, 4, local,
            segment_type="fmp4", list_size=2,
        )
    )  # fmt: skip
    await end_session(studio, stage)
    channels = await eventually(lambda: published(studio, stage), 15, "the replay")
    assert list(channels) == ["fr"] and channels["fr"]["label"] == "Français"
    url = str(channels["fr"]["url"])
    headers = stage.viewer["headers"]
    r = await studio.client.get(url, headers=headers)
    vod = parse_playlist((await r.text()).encode())
    maps = {e.map_uri for e in vod.entries}
    assert len(maps) == 1 and None not in maps
    folder = url.rsplit("/", 1)[0]
    r = await studio.client.get(f"{folder}/{maps.pop()}", headers=headers)
    assert r.headers["Content-Type"] == "video/mp4"
    assert await r.read() == (local / "init.mp4").read_bytes()
    bodies = []
    for entry in vod.entries:
        r = await studio.client.get(f"{folder}/{entry.uri}", headers=headers)
        assert r.headers["Content-Type"] == "video/iso.segment"
        bodies.append(await r.read())
    expected, _ = pushed(local)
    assert bodies == expected
