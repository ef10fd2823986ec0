"""Room stream configuration and key rotation: who may, and what is accepted."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest

from tests.api.helpers import expect_error, locations, ok_json
from tests.streaming.support import RELAY_CHANNELS, Studio


async def moderator_of(studio: Studio, room: dict[str, Any], **session: Any) -> dict[str, Any]:
    """An account moderating a session in ``room``."""
    user = await studio.factory.user()
    person = await studio.factory.post(
        "/api/v1/people",
        {
            "name": user["name"],
            "organisation": "ITU",
            "country": "CH",
            "stakeholder_group": "international_organisation",
            "user_id": user["id"],
        },
    )
    await studio.session(room, moderator_ids=[person["id"]], **session)
    return user


async def test_a_new_room_streams_through_the_relay_on_the_floor_channel(studio: Studio) -> None:
    room = await studio.room()
    body = await ok_json(
        await studio.client.get(
            f"/api/v1/rooms/{room['id']}/stream", headers=await studio.factory.organiser_headers()
        )
    )
    assert body["config"] == {
        "provider": "relay",
        "channels": [{"key": "floor", "label": "Floor"}],
        "keep_replay": False,
    }
    assert body["stream_key_set"] is False and body["stream_key_rotated_at"] is None
    assert [i["url"] for i in body["ingest"]] == [
        f"http://127.0.0.1:8080/ingest/{room['id']}/floor/index.m3u8"
    ]
    assert body["health"] == [
        {"channel": "floor", "status": "offline", "last_segment_at": None, "target_duration": None}
    ]


async def test_relay_with_interpretation_channels(studio: Studio) -> None:
    room = await studio.room()
    body = await studio.configure(
        room["id"], {"provider": "relay", "channels": RELAY_CHANNELS, "keep_replay": True}
    )
    assert body["config"]["channels"] == RELAY_CHANNELS
    assert body["config"]["keep_replay"] is True
    assert [i["channel"] for i in body["ingest"]] == ["floor", "fr"]


@pytest.mark.parametrize(
    ("channels", "why"),
    [
        ([{"key": "de", "label": "Deutsch"}], "neither 'floor' nor one of the event's languages"),
        ([{"key": "floor", "label": "A"}, {"key": "floor", "label": "B"}], "unique"),
        ([{"key": "../x", "label": "X"}], "pattern"),
        ([{"key": "fr", "label": ""}], "at least 1 character"),
        ([{"key": "fr", "label": "Fr\x00"}], "control characters"),
        ([], "at least 1 item"),
    ],
)
async def test_channels_are_floor_or_the_events_languages(
    studio: Studio, channels: list[dict[str, str]], why: str
) -> None:
    room = await studio.room()
    r = await studio.client.put(
        f"/api/v1/rooms/{room['id']}/stream",
        json={"provider": "relay", "channels": channels},
        headers=await studio.factory.organiser_headers(),
    )
    error = await expect_error(r, 422, "validation_error")
    assert why in str(error["details"])


async def test_embeds_only_from_allow_listed_hosts_over_https(studio: Studio) -> None:
    room = await studio.room()
    ok = {
        "provider": "embed",
        "channels": [
            {"key": "floor", "label": "Floor", "url": "https://www.youtube-nocookie.com/embed/abc"}
        ],
    }
    await studio.configure(room["id"], ok)
    for url in (
        "https://evil.example/embed/abc",
        "https://www.youtube.com.evil.example/embed",
        "http://www.youtube.com/embed/abc",
        "javascript:alert(1)",
        "https://user:pw@www.youtube.com/embed/abc",
    ):
        bad = {"provider": "embed", "channels": [{"key": "floor", "label": "F", "url": url}]}
        r = await studio.client.put(
            f"/api/v1/rooms/{room['id']}/stream",
            json=bad,
            headers=await studio.factory.organiser_headers(),
        )
        await expect_error(r, 422, "validation_error")


async def test_unknown_provider_and_extra_fields_are_refused(studio: Studio) -> None:
    room = await studio.room()
    headers = await studio.factory.organiser_headers()
    for body in (
        {"provider": "rtmp", "channels": RELAY_CHANNELS},
        {"provider": "relay", "channels": RELAY_CHANNELS, "secret_sauce": 1},
        {"provider": "hls_url", "channels": RELAY_CHANNELS},  # hls_url needs a URL per channel
    ):
        r = await studio.client.put(
            f"/api/v1/rooms/{room['id']}/stream", json=body, headers=headers
        )
        error = await expect_error(r, 422, "validation_error")
        assert locations(error)


async def test_media_server_secrets_are_write_only_and_kept(studio: Studio) -> None:
    room = await studio.room()
    headers = await studio.factory.organiser_headers()
    livekit = {
        "provider": "livekit",
        "url": "wss://livekit.example.org",
        "api_key": "APIkey123",
        "channels": [{"key": "floor", "label": "Floor"}],
    }
    r = await studio.client.put(f"/api/v1/rooms/{room['id']}/stream", json=livekit, headers=headers)
    error = await expect_error(r, 422, "validation_error")
    assert "api_secret is required" in str(error["details"])
    body = await studio.configure(
        room["id"], livekit | {"api_secret": "s3cret-s3cret-s3cret-s3cret-s3cret"}
    )
    assert body["config"]["api_secret"] is None and body["secrets_set"] == ["api_secret"]
    # Changing the room name without the secret keeps the secret.
    body = await studio.configure(room["id"], livekit | {"room_name": "plenary"})
    assert body["secrets_set"] == ["api_secret"]
    got = await ok_json(
        await studio.client.get(f"/api/v1/rooms/{room['id']}/stream", headers=headers)
    )
    assert "s3cret" not in str(got)
    # And the media token is still signed with it.
    stage_session = await studio.session(room)
    viewer = await studio.factory.user()
    token = await studio.join_token(viewer, stage_session["id"])
    media = await ok_json(
        await studio.client.get(
            f"/api/v1/sessions/{stage_session['id']}/stream",
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert media["provider"] == "livekit" and media["media"]["room"] == "plenary"
    claims = jwt.decode(
        media["media"]["token"], "s3cret-s3cret-s3cret-s3cret-s3cret", algorithms=["HS256"]
    )
    assert claims["video"]["room"] == "plenary" and claims["video"]["canPublish"] is False


async def test_only_organisers_change_the_configuration(studio: Studio) -> None:
    room = await studio.room()
    moderator = await moderator_of(studio, room)
    r = await studio.client.put(
        f"/api/v1/rooms/{room['id']}/stream",
        json={"provider": "relay", "channels": RELAY_CHANNELS},
        headers=moderator["headers"],
    )
    await expect_error(r, 403, "forbidden")
    r = await studio.client.put(f"/api/v1/rooms/{room['id']}/stream", json={"provider": "relay"})
    await expect_error(r, 401, "unauthorized")


async def test_keys_are_for_organisers_and_the_rooms_moderators(studio: Studio) -> None:
    room = await studio.room()
    other_room = await studio.room()
    moderator = await moderator_of(studio, room)
    elsewhere = await moderator_of(studio, other_room)
    past = await moderator_of(
        studio, room, starts_in=timedelta(days=-2), minutes=60
    )  # their session is long over
    participant = await studio.factory.user()
    path = f"/api/v1/rooms/{room['id']}"
    r = await studio.client.post(path + "/stream-key", headers=moderator["headers"])
    key = (await ok_json(r, 201))["stream_key"]
    assert key.startswith("fls_") and len(key) > 40
    r = await studio.client.get(path + "/stream", headers=moderator["headers"])
    assert (await ok_json(r))["stream_key_set"] is True
    for outsider in (elsewhere, past, participant):
        for method, url in (("POST", path + "/stream-key"), ("GET", path + "/stream")):
            r = await studio.client.request(method, url, headers=outsider["headers"])
            await expect_error(r, 403, "forbidden")
    r = await studio.client.post(path + "/stream-key")
    await expect_error(r, 401, "unauthorized")
    r = await studio.client.post(
        "/api/v1/rooms/999999/stream-key", headers=await studio.factory.organiser_headers()
    )
    await expect_error(r, 404, "not_found")


async def test_rotation_retires_the_old_key_at_once(studio: Studio) -> None:
    stage = await studio.stage()
    put = stage.ingest("floor", "index0.ts")
    r = await studio.client.put(put, data=b"\x47" * 188, headers=stage.key_headers)
    assert r.status == 204, await r.text()
    new_key = await studio.rotate_key(stage.room_id)
    r = await studio.client.put(put, data=b"\x47" * 188, headers=stage.key_headers)
    await expect_error(r, 401, "unauthorized")
    r = await studio.client.put(
        put, data=b"\x47" * 188, headers={"Authorization": f"Bearer {new_key}"}
    )
    assert r.status == 204
