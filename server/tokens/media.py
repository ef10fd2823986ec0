"""Media-server credentials from the same decision as the join token.

The room's stream configuration (``server.streaming.config``) names the provider;
each format below is the provider's own:

- LiveKit: HS256 with the room's API key/secret, ``iss`` = API key, ``sub`` = the
  opaque identity, a ``video`` grant by role. LiveKit treats a missing
  ``canPublish``/``canPublishData`` as *true*, so every flag is written out.
- Jitsi Meet: HS256 with the app secret, ``aud`` "jitsi", ``iss`` the app id,
  ``sub`` the deployment's domain, ``room``, ``context.user`` {id, name, moderator}.
- MediaMTX: our own EdDSA token carrying ``mediamtx_permissions``; MediaMTX checks it
  against ``/.well-known/jwks.json`` (``authMethod: jwt``, ``authJWTJWKS``).
- BigBlueButton: a join URL whose checksum is sha256("join" + query + shared secret).

LiveKit and Jitsi read a token only when someone connects, so theirs live
``MEDIA_TOKEN_SECONDS`` at most; MediaMTX checks every HLS request, so its token
lives as long as the join window.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode, urlsplit

import jwt
from aiohttp import web
from pydantic import BaseModel, Field

from server.api.errors import ApiError
from server.appkeys import settings_key
from server.domain.timezones import iso_utc
from server.streaming.config import (
    BigBlueButtonConfig,
    JitsiConfig,
    LiveKitConfig,
    MediaMtxConfig,
    load_config,
    media_name,
)
from server.tokens.join import current_signer
from server.tokens.keys import ALGORITHM
from server.tokens.rules import Grant

MEDIA_TOKEN_SECONDS = 600
PUBLISHERS = frozenset({"speaker", "moderator"})
MEDIAMTX_AUDIENCE = "forumlive:mediamtx"


def _iso(epoch: int) -> str:
    return iso_utc(datetime.fromtimestamp(epoch, UTC))


class _MediaOut(BaseModel):
    session_id: int
    role: str
    expires_at: str = Field(description="after this the credential is refused; ask again")


class LiveKitMedia(_MediaOut):
    provider: Literal["livekit"] = "livekit"
    url: str = Field(description="the LiveKit server to connect to")
    room: str
    identity: str
    token: str


class JitsiMedia(_MediaOut):
    provider: Literal["jitsi"] = "jitsi"
    url: str = Field(description="the meeting URL, token included")
    domain: str
    room: str
    jwt: str


class MediaMtxMedia(_MediaOut):
    provider: Literal["mediamtx"] = "mediamtx"
    url: str = Field(description="MediaMTX's HLS/WebRTC base URL")
    path: str
    actions: list[str] = Field(description="read, and publish for the room's presenters")
    token: str = Field(description="send as Authorization: Bearer, or ?jwt=")


class BigBlueButtonMedia(_MediaOut):
    provider: Literal["bigbluebutton"] = "bigbluebutton"
    join_url: str
    meeting_id: str
    bbb_role: Literal["MODERATOR", "VIEWER"]


MediaOut = Annotated[
    LiveKitMedia | JitsiMedia | MediaMtxMedia | BigBlueButtonMedia,
    Field(discriminator="provider"),
]


def _missing_secret(provider: str, field: str) -> ApiError:
    return ApiError(
        503,
        "media_not_configured",
        f"the room's {provider} configuration has no {field}",
        {"provider": provider, "missing": [field]},
    )


# --- the formats -------------------------------------------------------------------------


def livekit_video_grant(role: str, room: str) -> dict[str, Any]:
    publishes = role in PUBLISHERS
    return {
        "room": room,
        "roomJoin": True,
        "canSubscribe": True,
        "canPublish": publishes,
        "canPublishData": publishes,
        "canUpdateOwnMetadata": False,
        "roomAdmin": role == "moderator",
    }


def livekit_token(
    *,
    api_key: str,
    api_secret: str,
    room: str,
    identity: str,
    name: str,
    role: str,
    nbf: int,
    exp: int,
) -> str:
    claims = {
        "iss": api_key,
        "sub": identity,
        "nbf": nbf,
        "exp": exp,
        "jti": secrets.token_urlsafe(16),
        "name": name,
        "video": livekit_video_grant(role, room),
    }
    return jwt.encode(claims, api_secret, algorithm="HS256")


def jitsi_token(
    *,
    app_id: str,
    app_secret: str,
    domain: str,
    room: str,
    identity: str,
    name: str,
    role: str,
    nbf: int,
    exp: int,
) -> str:
    claims = {
        "aud": "jitsi",
        "iss": app_id,
        "sub": domain,
        "room": room,
        "nbf": nbf,
        "exp": exp,
        "context": {"user": {"id": identity, "name": name, "moderator": role == "moderator"}},
    }
    return jwt.encode(claims, app_secret, algorithm="HS256")


def mediamtx_permissions(role: str, path: str) -> list[dict[str, str]]:
    actions = ["read", "publish"] if role in PUBLISHERS else ["read"]
    return [{"action": action, "path": path} for action in actions]


def bbb_join_url(
    *, url: str, secret: str, meeting_id: str, name: str, identity: str, role: str
) -> str:
    base = url.rstrip("/")
    if not base.endswith("/api"):
        base += "/api"
    query = urlencode(
        [
            ("fullName", name),
            ("meetingID", meeting_id),
            ("role", "MODERATOR" if role == "moderator" else "VIEWER"),
            ("userID", identity),
            ("redirect", "true"),
        ]
    )
    checksum = hashlib.sha256(("join" + query + secret).encode()).hexdigest()
    return f"{base}/join?{query}&checksum={checksum}"


# --- per provider ------------------------------------------------------------------------


async def _mediamtx(
    app: web.Application, grant: Grant, config: MediaMtxConfig, now: int
) -> MediaMtxMedia:
    permissions = mediamtx_permissions(grant.role, config.path)
    signer = await current_signer(app, grant.exp)
    token = jwt.encode(
        {
            "iss": app[settings_key].token_issuer,
            "aud": MEDIAMTX_AUDIENCE,
            "sub": grant.subject,
            "sid": grant.session_id,
            "role": grant.role,
            "nbf": grant.nbf,
            "exp": grant.exp,
            "iat": now,
            "jti": secrets.token_urlsafe(16),
            "mediamtx_permissions": permissions,
        },
        signer.private,
        algorithm=ALGORITHM,
        headers=signer.headers,
    )
    return MediaMtxMedia(
        session_id=grant.session_id,
        role=grant.role,
        expires_at=_iso(grant.exp),
        url=config.url,
        path=config.path,
        actions=[p["action"] for p in permissions],
        token=token,
    )


async def media_for(
    app: web.Application, grant: Grant, room_id: int, stream: dict[str, Any], name: str
) -> LiveKitMedia | JitsiMedia | MediaMtxMedia | BigBlueButtonMedia:
    """What the browser needs to reach the room's media server, for ``grant``."""
    config = load_config(stream, room_id)
    now = int(time.time())
    short_exp = min(grant.exp, now + MEDIA_TOKEN_SECONDS)
    common = {"session_id": grant.session_id, "role": grant.role}
    room = media_name(config, room_id)
    if isinstance(config, LiveKitConfig):
        if not config.api_secret:
            raise _missing_secret("livekit", "api_secret")
        token = livekit_token(
            api_key=config.api_key,
            api_secret=config.api_secret,
            room=room,
            identity=grant.subject,
            name=name,
            role=grant.role,
            nbf=now,
            exp=short_exp,
        )
        return LiveKitMedia(
            **common,
            expires_at=_iso(short_exp),
            url=config.url,
            room=room,
            identity=grant.subject,
            token=token,
        )
    if isinstance(config, JitsiConfig):
        if not config.app_secret:
            raise _missing_secret("jitsi", "app_secret")
        domain = urlsplit(config.url).hostname or ""
        token = jitsi_token(
            app_id=config.app_id,
            app_secret=config.app_secret,
            domain=domain,
            room=room,
            identity=grant.subject,
            name=name,
            role=grant.role,
            nbf=now,
            exp=short_exp,
        )
        return JitsiMedia(
            **common,
            expires_at=_iso(short_exp),
            url=f"{config.url.rstrip('/')}/{room}?jwt={token}",
            domain=domain,
            room=room,
            jwt=token,
        )
    if isinstance(config, MediaMtxConfig):
        return await _mediamtx(app, grant, config, now)
    if isinstance(config, BigBlueButtonConfig):
        if not config.shared_secret:
            raise _missing_secret("bigbluebutton", "shared_secret")
        url = bbb_join_url(
            url=config.url,
            secret=config.shared_secret,
            meeting_id=room,
            name=name,
            identity=grant.subject,
            role=grant.role,
        )
        return BigBlueButtonMedia(
            **common,
            expires_at=_iso(grant.exp),
            join_url=url,
            meeting_id=room,
            bbb_role="MODERATOR" if grant.role == "moderator" else "VIEWER",
        )
    raise ApiError(
        409,
        "no_media_server",
        f"this session's room streams with {config.provider}, which needs no media token",
        {"provider": config.provider},
    )
