"""GET /api/v1/sessions/{id}/media: each provider's credential, checked in its own format."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from livekit.api import TokenVerifier, VideoGrants

from server.tokens.join import TokenError, verify_join_token
from tests.tokens.conftest import Live

LIVEKIT = {
    "provider": "livekit",
    "url": "wss://livekit.example.org",
    "api_key": "APIforumlive",
    "api_secret": "livekit-secret-0123456789abcdef-0123456789",
}
JITSI = {
    "provider": "jitsi",
    "url": "https://meet.example.org",
    "app_id": "forumlive",
    "app_secret": "jitsi-secret-0123456789-0123456789abcdef",
}
MEDIAMTX = {"provider": "mediamtx", "url": "https://media.example.org", "path": "live/plenary"}
BBB = {
    "provider": "bigbluebutton",
    "url": "https://bbb.example.org/bigbluebutton/",
    "shared_secret": "bbb-secret-0123456789",
}


async def _panel(live: Live, stream: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A session in a room with ``stream``, and its participant, speaker and moderator."""
    speaker, moderator, participant = [await live.factory.user() for _ in range(3)]
    sp, mo = await live.person_for(speaker), await live.person_for(moderator)
    s = await live.session(
        timedelta(minutes=5),
        kind="broadcast",
        stream=stream,
        speaker_ids=[sp["id"]],
        moderator_ids=[mo["id"]],
    )
    return s, {"participant": participant, "speaker": speaker, "moderator": moderator}


async def _media(live: Live, user: dict[str, Any], sid: int, **params: str) -> tuple[int, Any]:
    r = await live.client.get(
        f"/api/v1/sessions/{sid}/media", headers=user["headers"], params=params
    )
    return r.status, await r.json()


async def test_livekit_tokens_pass_livekits_verifier_with_exactly_the_grants(live: Live) -> None:
    s, people = await _panel(live, LIVEKIT)
    verifier = TokenVerifier(LIVEKIT["api_key"], LIVEKIT["api_secret"])
    expected = {
        "participant": (False, False),  # (canPublish and canPublishData, roomAdmin)
        "speaker": (True, False),
        "moderator": (True, True),
    }
    for role, user in people.items():
        status, body = await _media(live, user, s["id"])
        assert status == 200, body
        assert body["provider"] == "livekit" and body["url"] == LIVEKIT["url"]
        room = body["room"]
        assert room.startswith("forumlive-room-")
        claims = verifier.verify(body["token"])
        publishes, admin = expected[role]
        assert claims.identity == user["public_id"] == body["identity"]
        assert claims.name == user["name"]
        assert claims.video == VideoGrants(
            room=room,
            room_join=True,
            can_subscribe=True,
            can_publish=publishes,
            can_publish_data=publishes,
            can_update_own_metadata=False,
            room_admin=admin,
        ), role
        raw = jwt.decode(body["token"], options={"verify_signature": False})
        assert raw["exp"] - time.time() <= 600  # checked only on connect: kept short
        assert "@" not in str(raw)
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(LIVEKIT["api_key"], "another-secret-0123456789abcdef-0123456789").verify(
            body["token"]
        )


async def test_jitsi_tokens_follow_jitsis_format(live: Live) -> None:
    s, people = await _panel(live, JITSI)
    for role, user in people.items():
        status, body = await _media(live, user, s["id"])
        assert status == 200, body
        c = jwt.decode(
            body["jwt"],
            JITSI["app_secret"],
            algorithms=["HS256"],
            audience="jitsi",
            issuer=JITSI["app_id"],
        )
        assert c["sub"] == "meet.example.org" == body["domain"]
        assert c["room"] == body["room"]
        assert c["context"]["user"] == {
            "id": user["public_id"],
            "name": user["name"],
            "moderator": role == "moderator",
        }
        assert body["url"] == f"https://meet.example.org/{body['room']}?jwt={body['jwt']}"


async def test_mediamtx_tokens_verify_against_our_jwks(live: Live) -> None:
    s, people = await _panel(live, MEDIAMTX)
    jwks = jwt.PyJWKSet.from_dict(await (await live.client.get("/.well-known/jwks.json")).json())
    for role, user in people.items():
        status, body = await _media(live, user, s["id"])
        assert status == 200, body
        kid = jwt.get_unverified_header(body["token"])["kid"]
        c = jwt.decode(
            body["token"],
            jwks[kid].key,
            algorithms=["EdDSA"],
            audience="forumlive:mediamtx",
            issuer="forumlive",
        )
        actions = ["read", "publish"] if role in ("speaker", "moderator") else ["read"]
        assert c["mediamtx_permissions"] == [
            {"action": a, "path": MEDIAMTX["path"]} for a in actions
        ]
        assert body["actions"] == actions and body["path"] == MEDIAMTX["path"]
        assert c["sub"] == user["public_id"]
        # A media-server token does not open the live room.
        with pytest.raises(TokenError) as err:
            await verify_join_token(live.client.app, body["token"], s["id"])
        assert err.value.code == "invalid_token"


async def test_bigbluebutton_join_urls_carry_a_valid_sha256_checksum(live: Live) -> None:
    s, people = await _panel(live, BBB)
    for role, user in people.items():
        status, body = await _media(live, user, s["id"])
        assert status == 200, body
        url = urlsplit(body["join_url"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == (
            "https://bbb.example.org/bigbluebutton/api/join"
        )
        query, _, checksum = url.query.rpartition("&checksum=")
        assert (
            checksum == hashlib.sha256(("join" + query + BBB["shared_secret"]).encode()).hexdigest()
        )
        params = {k: v[0] for k, v in parse_qs(query).items()}
        bbb_role = "MODERATOR" if role == "moderator" else "VIEWER"
        assert params == {
            "fullName": user["name"],
            "meetingID": body["meeting_id"],
            "role": bbb_role,
            "userID": user["public_id"],
            "redirect": "true",
        }
        assert body["bbb_role"] == bbb_role
        # A tampered role breaks the checksum BigBlueButton recomputes.
        tampered = query.replace("role=VIEWER", "role=MODERATOR")
        if tampered != query:
            assert (
                hashlib.sha256(("join" + tampered + BBB["shared_secret"]).encode()).hexdigest()
                != checksum
            )


async def test_media_follows_the_join_decision(live: Live) -> None:
    gated = await live.session(timedelta(minutes=5), stream=LIVEKIT)  # sign-up required
    early = await live.session(timedelta(hours=2), kind="broadcast", stream=LIVEKIT)
    user = await live.factory.user()
    status, body = await _media(live, user, gated["id"])
    assert (status, body["error"]["code"]) == (403, "not_registered")
    status, body = await _media(live, user, early["id"])
    assert (status, body["error"]["code"]) == (409, "not_open_yet")
    status, body = await _media(live, user, gated["id"], role="moderator")
    assert (status, body["error"]["code"]) == (403, "role_not_allowed")


async def test_rooms_without_a_media_server_or_without_a_secret(live: Live) -> None:
    relay = await live.session(timedelta(minutes=5), kind="broadcast")  # default: the relay
    user = await live.factory.user()
    status, body = await _media(live, user, relay["id"])
    assert (status, body["error"]["code"]) == (409, "no_media_server")
    assert body["error"]["details"] == {"provider": "relay"}
    no_secret = {k: v for k, v in LIVEKIT.items() if k != "api_secret"}
    s = await live.session(timedelta(minutes=5), kind="broadcast", stream=no_secret)
    status, body = await _media(live, user, s["id"])
    assert (status, body["error"]["code"]) == (503, "media_not_configured")
