"""Playback admits holders of a valid join token for the session on air in that room, only."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt

from server.appkeys import relay_key
from server.streaming.signing import PlaybackGrant
from server.tokens.revocation import ban, revoke_jti
from tests.api.helpers import expect_error
from tests.streaming.support import Stage, Studio, forge_join_token

TS = b"\x47" + bytes(187)
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nindex0.ts\n"


async def on_air_stage(studio: Studio) -> Stage:
    """A stage with one segment and its playlist pushed on the floor channel."""
    stage = await studio.stage()
    for name, body in (("index0.ts", TS), ("index.m3u8", PLAYLIST)):
        r = await studio.client.put(
            stage.ingest("floor", name), data=body, headers=stage.key_headers
        )
        assert r.status == 204, await r.text()
    return stage


async def signed_url(studio: Studio, stage: Stage, token: str, channel: str = "floor") -> str:
    r = await studio.client.get(
        f"/api/v1/sessions/{stage.session_id}/stream",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status == 200, await r.text()
    return next(c["url"] for c in (await r.json())["channels"] if c["key"] == channel)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_no_token_or_a_bad_one_is_401(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    url = stage.hls("floor", "index.m3u8")
    r = await studio.client.get(url)
    await expect_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"] == "Bearer"
    for token in ("garbage", "a.b.c", stage.key):
        await expect_error(
            await studio.client.get(url, headers=bearer(token)), 401, "invalid_token"
        )
    r = await studio.client.get(url, params={"t": "garbage"})
    await expect_error(r, 401, "invalid_token")
    r = await studio.client.get(url, params={"t": "x" * 2000})
    await expect_error(r, 401, "invalid_token")
    # … and with a good token, the playlist.
    r = await studio.client.get(url, headers=stage.viewer_headers)
    assert r.status == 200 and await r.read() == PLAYLIST


async def test_an_expired_join_token_is_401(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    now = int(time.time())
    expired = forge_join_token(
        studio.client, stage.session_id, nbf=now - 7200, iat=now - 7200, exp=now - 600
    )
    r = await studio.client.get(stage.hls("floor", "index0.ts"), headers=bearer(expired))
    await expect_error(r, 401, "expired")
    r = await studio.client.get(
        f"/api/v1/sessions/{stage.session_id}/stream", headers=bearer(expired)
    )
    await expect_error(r, 401, "expired")


async def test_an_expired_playback_parameter_is_401(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    signer = studio.client.app[relay_key].signer
    grant = PlaybackGrant(
        stage.room_id,
        "floor",
        stage.session_id,
        "sub",
        "jti",
        0,
        "participant",
        int(time.time()) - 1,
    )
    r = await studio.client.get(stage.hls("floor", "index0.ts"), params={"t": signer.mint(grant)})
    await expect_error(r, 401, "expired")


async def test_a_tampered_playback_parameter_is_401(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    url = await signed_url(studio, stage, stage.token)
    t = url.split("?t=")[1]
    payload, mac = t.split(".")
    # The same claims for another room, re-encoded: the MAC no longer matches.
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body[1] = body[1] + 1
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    for bad in (f"{forged}.{mac}", f"{payload}.{mac[:-2]}AA", f"{payload}{mac}", payload):
        r = await studio.client.get(stage.hls("floor", "index0.ts"), params={"t": bad})
        await expect_error(r, 401, "invalid_token")


async def test_a_token_for_another_room_is_403(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    other = await on_air_stage(studio)
    r = await studio.client.get(stage.hls("floor", "index0.ts"), headers=other.viewer_headers)
    error = await expect_error(r, 403, "not_on_air")
    assert error["details"] == {"session_id": other.session_id, "on_air": stage.session_id}
    # The other stage's signed URL, pointed at this room or at another channel.
    other_url = await signed_url(studio, other, other.token)
    t = other_url.split("?t=")[1]
    r = await studio.client.get(stage.hls("floor", "index0.ts"), params={"t": t})
    await expect_error(r, 403, "wrong_stream")
    r = await studio.client.get(f"/hls/{other.room_id}/fr/index0.ts", params={"t": t})
    await expect_error(r, 403, "wrong_stream")
    # Its own room and channel: fine.
    r = await studio.client.get(f"/hls/{other.room_id}/floor/index0.ts", params={"t": t})
    assert r.status == 200 and await r.read() == TS


async def test_a_token_for_a_later_session_in_the_same_room_is_403(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    later = await studio.session(stage.room, starts_in=timedelta(hours=3))
    token = forge_join_token(studio.client, later["id"])
    r = await studio.client.get(stage.hls("floor", "index0.ts"), headers=bearer(token))
    await expect_error(r, 403, "not_on_air")


async def test_revoked_and_banned_viewers_lose_playback_at_once(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    url = await signed_url(studio, stage, stage.token)
    segment = stage.hls("floor", "index0.ts")
    assert (await studio.client.get(segment, headers=stage.viewer_headers)).status == 200
    assert (await studio.client.get(url)).status == 200
    claims = jwt.decode(stage.token, options={"verify_signature": False})
    await revoke_jti(studio.client.app, claims["jti"], claims["exp"])
    r = await studio.client.get(segment, headers=stage.viewer_headers)
    await expect_error(r, 401, "revoked")
    await expect_error(await studio.client.get(url), 401, "revoked")

    second = await studio.factory.user()
    token = await studio.join_token(second, stage.session_id)
    url = await signed_url(studio, stage, token)
    assert (await studio.client.get(url)).status == 200
    assert (await studio.client.get(segment, headers=bearer(token))).status == 200
    organiser_id = (await studio.factory.user("organiser"))["id"]
    await ban(
        studio.client.app,
        user_public_id=claims_sub(token),
        session_id=stage.session_id,
        by_user_id=organiser_id,
        reason="test",
        until=None,
    )
    await expect_error(await studio.client.get(url), 403, "banned")
    await expect_error(await studio.client.get(segment, headers=bearer(token)), 403, "banned")


def claims_sub(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def test_a_cancelled_session_plays_nothing(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    url = await signed_url(studio, stage, stage.token)
    r = await studio.client.post(
        f"/api/v1/sessions/{stage.session_id}/cancel",
        headers=await studio.factory.organiser_headers(),
    )
    assert r.status == 200, await r.text()
    for r in (
        await studio.client.get(url),
        await studio.client.get(stage.hls("floor", "index0.ts"), headers=stage.viewer_headers),
    ):
        assert r.status in (401, 403), await r.text()


async def test_unknown_files_and_channels_are_json_404s(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    for path in (
        stage.hls("floor", "index9.ts"),
        stage.hls("fr", "index.m3u8"),  # configured, nothing pushed yet
        stage.hls("es", "index.m3u8"),  # not configured
        "/hls/987654/floor/index.m3u8",
    ):
        r = await studio.client.get(path, headers=stage.viewer_headers)
        await expect_error(r, 404, "not_found")


async def test_players_may_add_query_parameters_of_their_own(studio: Studio) -> None:
    stage = await on_air_stage(studio)
    url = await signed_url(studio, stage, stage.token)
    r = await studio.client.get(url + "&_HLS_msn=3&_HLS_part=0&cb=1701")
    assert r.status == 200, await r.text()
    assert (await r.read()).startswith(b"#EXTM3U")
    r = await studio.client.get(
        stage.hls("floor", "index0.ts"), params={"_": "123"}, headers=stage.viewer_headers
    )
    assert r.status == 200 and await r.read() == TS
