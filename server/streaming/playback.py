"""``GET /hls/{room_id}/{channel}/{file}``: the live relay, for join-token holders of the session on air.

Two ways in: ``Authorization: Bearer <join token>`` (hls.js sets it in
``xhrSetup``), or the signed ``?t=`` the session stream API mints (for players
that cannot set headers); with ``t``, the playlist's URIs are rewritten to
carry it, so every segment request is authorised the same way.
"""

from __future__ import annotations

from aiohttp import web

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError, forbidden
from server.appkeys import relay_key
from server.streaming.config import RelayConfig
from server.streaming.hls import CONTENT_TYPES
from server.streaming.paths import file_path
from server.streaming.relay import Relay
from server.streaming.signing import GrantError
from server.streaming.store import FileKey, StoreUnavailable, store_unavailable
from server.tokens.join import TokenError
from server.tokens.revocation import is_banned, is_revoked

routes = web.RouteTableDef()

PLAYBACK_PARAM = "t"


def _denied(status: int, code: str, message: str) -> ApiError:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ApiError(status, code, message, headers=headers)


def _bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


async def admit(call: Call, relay: Relay, room_id: int, channel: str) -> str | None:
    """The session the caller may watch in this room is the one on air; returns ``t`` if used."""
    app = call.app
    # Read by hand, not declared as a query model: players add parameters of their own
    # (cache busters, LL-HLS _HLS_msn …), which a strict query model would refuse.
    t = call.request.query.get(PLAYBACK_PARAM)
    if t is not None:
        try:
            grant = relay.signer.verify(t)
        except GrantError as exc:
            raise _denied(401, exc.code, exc.message) from None
        if grant.room_id != room_id or grant.channel != channel:
            raise forbidden("this playback parameter is for another stream", "wrong_stream")
        if await is_banned(app, grant.sub, grant.session_id):
            raise forbidden("you have been removed from this session", "banned")
        if await is_revoked(app, grant):
            raise _denied(401, "revoked", "the join token behind this parameter was revoked")
        session_id = grant.session_id
    else:
        token = _bearer(call.request)
        if token is None:
            raise _denied(
                401, "unauthorized", "send your join token (Authorization: Bearer) or ?t="
            )
        try:
            session_id = (await relay.tokens.claims(app, token)).sid
        except TokenError as exc:
            raise _denied(403 if exc.code == "banned" else 401, exc.code, exc.message) from None
    on_air = await relay.rooms.on_air(room_id)
    if on_air is None or on_air.session_id != session_id:
        raise forbidden(
            "your join token is not for the session now in this room",
            "not_on_air",
            {"session_id": session_id, "on_air": on_air.session_id if on_air else None},
        )
    return t


@routes.get("/hls/{room_id}/{channel}/{file}")
@endpoint(
    summary="Play a relay channel: its playlist and segments",
    tag="streaming",
    auth="token",
    response=bytes,
    produces=CONTENT_TYPES["m3u8"],
    alternative_produces=(CONTENT_TYPES["ts"], CONTENT_TYPES["m4s"], CONTENT_TYPES["mp4"]),
    errors=(401, 403, 404),
    description="A join token for the session now in the room, as Bearer, or the signed "
    "query parameter `t` from GET /api/v1/sessions/{id}/stream. Other query parameters "
    "are ignored.",
)
async def play(call: Call) -> web.Response:
    relay = call.app[relay_key]
    path = file_path(call.request, "room_id")
    room = await relay.rooms.room(path.owner_id)
    if room is None or not isinstance(room.config, RelayConfig):
        raise ApiError(404, "not_found", "no relay stream in this room", {"kind": "stream"})
    if path.channel not in room.config.channel_keys():
        raise ApiError(404, "not_found", "no such channel", {"kind": "channel"})
    t = await admit(call, relay, path.owner_id, path.channel)
    try:
        data = await relay.store.get(FileKey(path.owner_id, path.channel, path.file))
    except StoreUnavailable:
        raise store_unavailable() from None
    if data is None:
        raise ApiError(404, "not_found", "no such file (yet, or any more)", {"kind": "file"})
    if path.ext == "m3u8":
        if t is not None:
            data = relay.rewriter.rewrite(data, PLAYBACK_PARAM, t)
        cache = "private, no-cache"
    else:
        cache = f"private, max-age={relay.settings.stream_segment_ttl_seconds}"
    return web.Response(
        body=data, headers={"Content-Type": CONTENT_TYPES[path.ext], "Cache-Control": cache}
    )
