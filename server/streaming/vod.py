"""``GET /replay/{session_id}/{channel}/{file}``: a published replay, for any signed-in account."""

from __future__ import annotations

import asyncio

from aiohttp import web

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import relay_key
from server.streaming.hls import CONTENT_TYPES
from server.streaming.paths import file_path
from server.streaming.replay import VOD_PLAYLIST

routes = web.RouteTableDef()

# Replay files never change once published: a segment's name is never reused in a session.
_SEGMENT_CACHE = "private, max-age=86400, immutable"
_PLAYLIST_CACHE = "private, max-age=60"


@routes.get("/replay/{session_id}/{channel}/{file}")
@endpoint(
    summary="Play a session's replay: its VOD playlist and segments",
    tag="streaming",
    auth="user",
    response=bytes,
    produces=CONTENT_TYPES["m3u8"],
    alternative_produces=(CONTENT_TYPES["ts"], CONTENT_TYPES["m4s"], CONTENT_TYPES["mp4"]),
    errors=(404,),
)
async def replay_file(call: Call) -> web.StreamResponse:
    relay = call.app[relay_key]
    path = file_path(call.request, "session_id")
    missing = ApiError(404, "not_found", "no such replay file", {"kind": "replay"})
    if path.ext == "m3u8" and path.file != VOD_PLAYLIST:
        raise missing
    if not await relay.replays.is_published(path.owner_id, path.channel):
        raise missing
    target = relay.replays.session_dir(path.owner_id, path.channel) / path.file
    if not await asyncio.to_thread(target.is_file):
        raise missing
    cache = _PLAYLIST_CACHE if path.ext == "m3u8" else _SEGMENT_CACHE
    return web.FileResponse(
        target, headers={"Content-Type": CONTENT_TYPES[path.ext], "Cache-Control": cache}
    )
