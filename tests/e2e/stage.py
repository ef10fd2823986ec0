"""A session live now, in its own room with the relay and two language channels,
a moderator linked to a registered account, and ffmpeg pushing a test picture
and tone to both channels — what the live-room browser tests stand on."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ORGANISER, Server

CHANNELS = [{"key": "floor", "label": "Floor"}, {"key": "fr", "label": "Français"}]


@dataclass
class Account:
    name: str
    email: str
    password: str
    token: str
    user: dict[str, Any]


@dataclass
class Stage:
    server: Server
    room: dict[str, Any]
    session: dict[str, Any]
    stream_key: str
    moderator: Account
    pushers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def session_id(self) -> int:
        return int(self.session["id"])

    def push(self, seconds: int, work_dir: Path) -> None:
        """ffmpeg pushes both channels in real time, in the background."""
        if shutil.which("ffmpeg") is None:
            raise RuntimeError("ffmpeg is missing: apt-get install ffmpeg")
        for tone, channel in ((440, "floor"), (660, "fr")):
            url = f"{self.server.url}/ingest/{self.room['id']}/{channel}/index.m3u8"
            log = (work_dir / f"ffmpeg-{channel}.log").open("wb")
            self.pushers.append(
                subprocess.Popen(
                    [
                        "ffmpeg",
                        "-hide_banner",
                        "-nostdin",
                        "-loglevel",
                        "error",
                        "-re",
                        "-f",
                        "lavfi",
                        "-i",
                        "testsrc=size=320x180:rate=25",
                        "-f",
                        "lavfi",
                        "-i",
                        f"sine=frequency={tone}:sample_rate=48000",
                        "-t",
                        str(seconds),
                        "-map",
                        "0:v",
                        "-map",
                        "1:a",
                        "-c:v",
                        "libx264",
                        "-preset",
                        "ultrafast",
                        "-tune",
                        "zerolatency",
                        "-g",
                        "25",
                        "-keyint_min",
                        "25",
                        "-sc_threshold",
                        "0",
                        "-c:a",
                        "aac",
                        "-b:a",
                        "64k",
                        "-f",
                        "hls",
                        "-hls_time",
                        "1",
                        "-hls_list_size",
                        "6",
                        "-hls_flags",
                        "delete_segments",
                        "-method",
                        "PUT",
                        "-headers",
                        f"Authorization: Bearer {self.stream_key}\r\n",
                        url,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def stop(self) -> None:
        for process in self.pushers:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _ok(result: tuple[int, Any], expected: int = 200) -> Any:
    status, body = result
    assert status == expected, f"{status}: {body}"
    return body


def register(server: Server, name: str) -> Account:
    email = f"{name.split()[0].lower()}-{uuid.uuid4().hex[:8]}@forumlive-e2e.org"
    password = "live-pass-" + uuid.uuid4().hex[:6]
    out = _ok(
        server.api(
            "POST",
            "/api/v1/auth/register",
            {
                "name": name,
                "email": email,
                "password": password,
                "organisation": "E2E Studio",
                "country": "CH",
                "stakeholder_group": "academia",
            },
        ),
        201,
    )
    return Account(name, email, password, out["token"], out["user"])


def live_stage(server: Server, title: str) -> Stage:
    organiser = server.login(ORGANISER["email"], ORGANISER["password"])
    tag = uuid.uuid4().hex[:6]
    room = _ok(
        server.api(
            "POST",
            "/api/v1/rooms",
            {"slug": f"studio-{tag}", "name": f"Studio {tag}", "capacity": 500},
            organiser,
        ),
        201,
    )
    _ok(
        server.api(
            "PUT", f"/api/v1/rooms/{room['id']}/stream", {"provider": "relay", "channels": CHANNELS},
            organiser,
        )
    )  # fmt: skip
    key = _ok(server.api("POST", f"/api/v1/rooms/{room['id']}/stream-key", None, organiser), 201)
    moderator = register(server, "Maria Moderator")
    person = _ok(
        server.api(
            "POST",
            "/api/v1/people",
            {
                "name": moderator.name,
                "organisation": "E2E Studio",
                "country": "CH",
                "stakeholder_group": "academia",
                "user_id": moderator.user["id"],
            },
            organiser,
        ),
        201,
    )
    tracks = _ok(server.api("GET", "/api/v1/tracks"))
    types = {t["key"]: t for t in _ok(server.api("GET", "/api/v1/session-types"))}
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    session = _ok(
        server.api(
            "POST",
            "/api/v1/sessions",
            {
                "title": title,
                "abstract": "A live session for the browser tests.",
                "track_id": tracks[-1]["id"],
                "type_id": types["thematic_workshop"]["id"],
                "room_id": room["id"],
                "start": start.isoformat(),
                "duration_min": 60,
                "languages": ["en", "fr"],
                "moderator_ids": [person["id"]],
                "open_to_all": True,
            },
            organiser,
        ),
        201,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = _ok(server.api("GET", f"/api/v1/sessions/{session['id']}"))
        if current["state"] == "live":
            return Stage(server, room, current, key["stream_key"], moderator)
        time.sleep(0.3)
    raise AssertionError(f"session {session['id']} did not go live: {current['state']}")
