"""What the streaming tests share: a room streaming now, real ffmpeg pushes, HTTP helpers."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from tests.factories import Factory

_seq = itertools.count(1)

RELAY_CHANNELS = [{"key": "floor", "label": "Floor"}, {"key": "fr", "label": "Français"}]


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class Stage:
    """A room with the relay configured, a session on air in it, a viewer with a join token."""

    room: dict[str, Any]
    session: dict[str, Any]
    key: str
    viewer: dict[str, Any]
    token: str

    @property
    def room_id(self) -> int:
        return int(self.room["id"])

    @property
    def session_id(self) -> int:
        return int(self.session["id"])

    def ingest(self, channel: str, file: str) -> str:
        return f"/ingest/{self.room_id}/{channel}/{file}"

    def hls(self, channel: str, file: str) -> str:
        return f"/hls/{self.room_id}/{channel}/{file}"

    @property
    def key_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def viewer_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Studio:
    """Builds events around today (join windows follow the clock) and rooms that stream."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.client: TestClient = factory.client
        self.prog: dict[str, Any] = {}

    async def setup(self) -> Studio:
        today = date.today()
        event = await self.factory.event(
            timezone="UTC",
            pre_events_start=None,
            pre_events_end=None,
            final_start=(today - timedelta(days=5)).isoformat(),
            final_end=(today + timedelta(days=5)).isoformat(),
            languages=["en", "fr", "es"],
        )
        eid = event["id"]
        post = self.factory.post
        track = await post("/api/v1/tracks", {"event_id": eid, "slug": "forum", "name": "Forum"})
        stype = await post(
            "/api/v1/session-types",
            {
                "event_id": eid,
                "key": "policy_statements",
                "name": "Policy statements",
                "default_duration_min": 60,
                "interactive": False,
                "default_capacity": None,
            },
        )
        self.prog = {"event": event, "track": track, "type": stype}
        return self

    async def room(self, stream: dict[str, Any] | None = None) -> dict[str, Any]:
        n = next(_seq)
        room = await self.factory.post(
            "/api/v1/rooms",
            {
                "event_id": self.prog["event"]["id"],
                "slug": f"stage-{n}",
                "name": f"Stage {n}",
                "capacity": 500,
            },
        )
        if stream is not None:
            await self.configure(room["id"], stream)
        return room

    async def configure(
        self, room_id: int, stream: dict[str, Any], expect: int = 200
    ) -> dict[str, Any]:
        r = await self.client.put(
            f"/api/v1/rooms/{room_id}/stream",
            json=stream,
            headers=await self.factory.organiser_headers(),
        )
        assert r.status == expect, await r.text()
        return await r.json()

    async def session(
        self,
        room: dict[str, Any],
        starts_in: timedelta = timedelta(minutes=-1),
        minutes: int = 60,
        **fields: Any,
    ) -> dict[str, Any]:
        start = now() + starts_in
        return await self.factory.session(
            {"track": self.prog["track"], "type": self.prog["type"], "rooms": [room]},
            start=start.isoformat(),
            end=(start + timedelta(minutes=minutes)).isoformat(),
            **fields,
        )

    async def rotate_key(self, room_id: int, headers: dict[str, str] | None = None) -> str:
        r = await self.client.post(
            f"/api/v1/rooms/{room_id}/stream-key",
            headers=headers or await self.factory.organiser_headers(),
        )
        assert r.status == 201, await r.text()
        return str((await r.json())["stream_key"])

    async def join_token(self, user: dict[str, Any], session_id: int) -> str:
        r = await self.client.post(f"/api/v1/sessions/{session_id}/join", headers=user["headers"])
        assert r.status == 200, await r.text()
        return str((await r.json())["token"])

    async def stage(self, stream: dict[str, Any] | None = None) -> Stage:
        room = await self.room(stream or {"provider": "relay", "channels": RELAY_CHANNELS})
        session = await self.session(room)
        key = await self.rotate_key(room["id"])
        viewer = await self.factory.user()
        token = await self.join_token(viewer, session["id"])
        return Stage(room, session, key, viewer, token)

    async def stream_info(self, stage: Stage) -> dict[str, Any]:
        r = await self.client.get(
            f"/api/v1/sessions/{stage.session_id}/stream", headers=stage.viewer_headers
        )
        assert r.status == 200, await r.text()
        return await r.json()


# -- ffmpeg -------------------------------------------------------------------------------


def _tee_escape(value: str) -> str:
    """Escape for a tee slave's option list (parsed twice: the slave spec, then its options)."""
    return value.replace("\\", "\\\\\\\\").replace(":", "\\\\:")


def ffmpeg_command(
    base_url: str,
    ingest_path: str,
    key: str,
    seconds: float,
    local_dir: Path | None = None,
    segment_type: str = "mpegts",
    hls_time: int = 1,
    list_size: int = 4,
    realtime: bool = True,
) -> list[str]:
    """ffmpeg pushing a synthetic source (testsrc + sine) to the relay over HTTP PUT.

    With ``local_dir``, the tee muxer also writes every segment to disk — ffmpeg's
    own copy of what it pushed, to compare the relay's bytes against.
    """
    source = [
        "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
    ]  # fmt: skip
    codecs = [
        "-t", str(seconds), "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
        "-c:a", "aac", "-b:a", "64k",
    ]  # fmt: skip
    head = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    if realtime:
        head.append("-re")
    url = base_url.rstrip("/") + ingest_path
    if local_dir is None:
        return [
            *head, *source, *codecs,
            "-f", "hls", "-hls_time", str(hls_time), "-hls_list_size", str(list_size),
            "-hls_segment_type", segment_type, "-hls_flags", "delete_segments",
            "-method", "PUT", "-headers", f"Authorization: Bearer {key}\r\n",
            url,
        ]  # fmt: skip
    local_dir.mkdir(parents=True, exist_ok=True)
    common = f"f=hls:hls_time={hls_time}:hls_segment_type={segment_type}"
    remote = (
        f"[{common}:hls_list_size={list_size}:hls_flags=delete_segments:method=PUT"
        f":headers={_tee_escape(f'Authorization: Bearer {key}')}]{url.replace(':', chr(92) + ':')}"
    )
    local = f"[{common}:hls_list_size=0]{local_dir / 'index.m3u8'}"
    return [*head, *source, *codecs, "-f", "tee", f"{remote}|{local}"]


async def run_ffmpeg(command: list[str], timeout: float = 60) -> str:
    """Run to the end; returns stderr (ffmpeg's own complaints), failing on a non-zero exit."""
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        _, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    text = err.decode(errors="replace")
    assert proc.returncode == 0, f"ffmpeg failed ({proc.returncode}):\n{text}"
    return text


def playlist_uris(text: str) -> list[str]:
    """Every URI a playlist names (segment lines and URI="..." attributes), in order."""
    uris: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            if 'URI="' in line:
                uris.append(line.split('URI="', 1)[1].split('"', 1)[0])
            continue
        uris.append(line)
    return uris


def forge_join_token(client: TestClient, session_id: int, **overrides: Any) -> str:
    """A join token signed with the server's own current key, with chosen claims."""
    import jwt

    from server.appkeys import keyring_key, settings_key

    signer = client.app[keyring_key].signer
    assert signer is not None
    t = int(now().timestamp())
    claims = {
        "iss": client.app[settings_key].token_issuer,
        "aud": f"forumlive:session:{session_id}",
        "sub": "0123456789abcdef0123456789abcdef",
        "sid": session_id,
        "role": "participant",
        "nbf": t - 120,
        "exp": t + 3600,
        "iat": t - 120,
        "jti": f"forged-{next(_seq)}",
    } | overrides
    return jwt.encode(claims, signer.private, algorithm="EdDSA", headers=signer.headers)
