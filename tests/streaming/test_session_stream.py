"""What the join page gets for each provider — only with a valid join token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from server.appkeys import settings_key
from tests.api.helpers import expect_error, ok_json
from tests.streaming.support import Studio

HLS_URL = {
    "provider": "hls_url",
    "channels": [
        {"key": "floor", "label": "Floor", "url": "https://cdn.example.org/floor.m3u8"},
        {"key": "es", "label": "Español", "url": "https://cdn.example.org/es.m3u8"},
    ],
}
EMBED = {
    "provider": "embed",
    "channels": [{"key": "floor", "label": "Floor", "url": "https://www.youtube.com/embed/xyz"}],
}
SECRET = "0123456789abcdef0123456789abcdef-secret"
MEDIA = {
    "jitsi": {"url": "https://meet.example.org", "app_id": "forumlive", "app_secret": SECRET},
    "mediamtx": {"url": "https://media.example.org", "path": "rooms/plenary"},
    "bigbluebutton": {"url": "https://bbb.example.org/bigbluebutton/", "shared_secret": SECRET},
    "livekit": {"url": "wss://lk.example.org", "api_key": "APIxyz", "api_secret": SECRET},
}


async def stream(studio: Studio, session_id: int, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await studio.client.get(f"/api/v1/sessions/{session_id}/stream", headers=headers)


@pytest.mark.parametrize("config", [HLS_URL, EMBED], ids=["hls_url", "embed"])
async def test_urls_only_with_a_valid_join_token(studio: Studio, config: dict[str, Any]) -> None:
    room = await studio.room(config)
    session = await studio.session(room)
    other = await studio.session(await studio.room(config))
    viewer = await studio.factory.user()
    await expect_error(await stream(studio, session["id"], None), 401, "unauthorized")
    await expect_error(await stream(studio, session["id"], "not-a-token"), 401, "invalid_token")
    # A login token is not a join token.
    await expect_error(await stream(studio, session["id"], viewer["token"]), 401, "invalid_token")
    other_token = await studio.join_token(viewer, other["id"])
    await expect_error(await stream(studio, session["id"], other_token), 403, "wrong_session")
    body = await ok_json(
        await stream(studio, session["id"], await studio.join_token(viewer, session["id"]))
    )
    assert body["provider"] == config["provider"]
    assert body["media"] is None and body["playback_expires_at"] is None
    assert [(c["key"], c["label"], c["url"], c["status"]) for c in body["channels"]] == [
        (c["key"], c["label"], c["url"], None) for c in config["channels"]
    ]


@pytest.mark.parametrize("provider", list(MEDIA))
async def test_media_servers_get_their_credentials(studio: Studio, provider: str) -> None:
    config = {
        "provider": provider,
        "channels": [{"key": "floor", "label": "Floor"}],
        **MEDIA[provider],
    }
    room = await studio.room(config)
    session = await studio.session(room)
    viewer = await studio.factory.user()
    await expect_error(await stream(studio, session["id"], None), 401, "unauthorized")
    body = await ok_json(
        await stream(studio, session["id"], await studio.join_token(viewer, session["id"]))
    )
    assert body["provider"] == provider and body["on_air"] is True
    media = body["media"]
    assert media["provider"] == provider and media["session_id"] == session["id"]
    assert media["role"] == "participant"
    assert SECRET not in str(body)
    if provider == "bigbluebutton":
        assert "checksum=" in media["join_url"] and media["bbb_role"] == "VIEWER"
    elif provider == "mediamtx":
        assert media["path"] == "rooms/plenary" and media["actions"] == ["read"]
    else:
        assert media.get("token") or media.get("jwt")


async def test_relay_urls_are_signed_per_channel_and_short_lived(studio: Studio) -> None:
    stage = await studio.stage()
    body = await studio.stream_info(stage)
    assert body["provider"] == "relay" and body["media"] is None
    urls = [c["url"] for c in body["channels"]]
    assert urls[0].startswith(f"/hls/{stage.room_id}/floor/index.m3u8?t=")
    assert urls[1].startswith(f"/hls/{stage.room_id}/fr/index.m3u8?t=")
    assert urls[0].split("?t=")[1] != urls[1].split("?t=")[1]
    expires = datetime.fromisoformat(body["playback_expires_at"])
    left = (expires - datetime.now(UTC)).total_seconds()
    assert 0 < left <= studio.client.app[settings_key].stream_playback_seconds
