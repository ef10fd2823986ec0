"""``PUT``/``DELETE /ingest/{room_id}/{channel}/{file}``: ffmpeg or OBS pushes HLS over HTTP.

Authenticated by the room's stream key as a Bearer token (ffmpeg:
``-headers "Authorization: Bearer KEY"``). Bodies are binary and read here,
within the relay's own limits (a segment is far larger than any API body).
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError, unauthorized
from server.appkeys import relay_key, settings_key
from server.streaming.config import RelayConfig
from server.streaming.hls import PlaylistError, parse_playlist
from server.streaming.keys import key_matches
from server.streaming.paths import FilePath, file_path
from server.streaming.relay import Relay
from server.streaming.rooms import RoomStream
from server.streaming.store import FileKey, StoreUnavailable, store_unavailable

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

PATH = "/ingest/{room_id}/{channel}/{file}"
_CHUNK = 64 * 1024
_DESCRIPTION = (
    "The body is the raw file (a playlist, a .ts/.m4s segment or an fMP4 init .mp4). "
    "The room's stream key goes in `Authorization: Bearer <key>`. See docs/streaming.md."
)


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise unauthorized("send the room's stream key as Authorization: Bearer <key>")
    return value.strip()


async def _authorised(
    call: Call, key: str, path: FilePath
) -> tuple[Relay, RoomStream, RelayConfig]:
    relay = call.app[relay_key]
    room = await relay.rooms.room(path.owner_id)
    # An unknown room costs the same hash compare as a wrong key, and answers the same.
    if not key_matches(key, room.key_hash if room else None) or room is None:
        raise unauthorized("wrong stream key for this room")
    config = room.config
    if not isinstance(config, RelayConfig):
        raise ApiError(
            409,
            "not_relay",
            f"this room streams through {config.provider!r}, not the built-in relay",
            {"provider": config.provider},
        )
    if path.channel not in config.channel_keys():
        raise ApiError(
            404,
            "unknown_channel",
            f"channel {path.channel!r} is not configured for this room",
            {"channels": list(config.channel_keys())},
        )
    return relay, room, config


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to exceed ``limit`` (chunked or not)."""
    too_big = ApiError(
        413, "payload_too_large", f"the body exceeds {limit} bytes", {"limit": limit}
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    body = bytearray()
    while True:
        chunk = await request.content.read(_CHUNK)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > limit:
            raise too_big


@routes.put(PATH)
@endpoint(
    summary="Push an HLS playlist or segment to the relay (stream key as Bearer)",
    tag="streaming",
    auth="token",
    status=204,
    errors=(400, 401, 404, 409, 413, 422),
    description=_DESCRIPTION,
)
async def put_file(call: Call) -> None:
    # ffmpeg closes the connection right after the body, without waiting for our answer.
    # aiohttp then fails any later read of the body, and may cancel the handler. So the
    # body is read first, before anything that waits (the key check may need the
    # database), and what follows runs to the end even if the handler is cancelled.
    key = _bearer(call.request)
    path = file_path(call.request, "room_id", explain=True)
    settings = call.app[settings_key]
    limit = (
        settings.stream_max_playlist_bytes
        if path.ext == "m3u8"
        else settings.stream_max_segment_bytes
    )
    body = await read_limited(call.request, limit)
    await _unless_failed(asyncio.ensure_future(_accept(call, key, path, body)))


async def _unless_failed(work: asyncio.Future[None]) -> None:
    """Await ``work`` but let it finish if we are cancelled (its errors are then only logged)."""

    def _log(done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is not None:
            log.info("ingest finished after the client left: %s", done.exception())

    try:
        await asyncio.shield(work)
    except asyncio.CancelledError:
        work.add_done_callback(_log)
        raise


async def _accept(call: Call, key: str, path: FilePath, body: bytes) -> None:
    try:
        await _store(call, key, path, body)
    except (StoreUnavailable, RedisError):
        raise store_unavailable() from None


async def _store(call: Call, key: str, path: FilePath, body: bytes) -> None:
    relay, room, config = await _authorised(call, key, path)
    file_key = FileKey(room.room_id, path.channel, path.file)
    if path.ext == "m3u8":
        try:
            parsed = parse_playlist(body)
        except PlaylistError as exc:
            raise ApiError(422, "bad_playlist", str(exc)) from None
        await relay.store.put(file_key, body)
        if parsed.target_duration:
            await relay.health.target(room.room_id, path.channel, parsed.target_duration)
        if config.keep_replay and parsed.entries:
            on_air = await relay.rooms.on_air(room.room_id)
            if on_air is not None:
                await relay.replays.playlist(on_air.session_id, path.channel, parsed)
        return
    if not body:
        raise ApiError(400, "empty_segment", "a segment cannot be empty")
    await relay.store.put(file_key, body)
    change = await relay.health.segment(room.room_id, path.channel)
    if change is not None:
        await relay.announce(change)
    if config.keep_replay:
        on_air = await relay.rooms.on_air(room.room_id)
        if on_air is not None:
            await relay.replays.segment(on_air.session_id, path.channel, path.file, body)


@routes.delete(PATH)
@endpoint(
    summary="Retire a segment from the relay (ffmpeg -hls_flags delete_segments)",
    tag="streaming",
    auth="token",
    status=204,
    errors=(400, 401, 404, 409),
    description="Authenticated like PUT. Deleting a file that is not there is not an error.",
)
async def delete_file(call: Call) -> None:
    key = _bearer(call.request)
    path = file_path(call.request, "room_id", explain=True)
    await _unless_failed(asyncio.ensure_future(_retire(call, key, path)))


async def _retire(call: Call, key: str, path: FilePath) -> None:
    relay, room, _config = await _authorised(call, key, path)
    # Out of the live window only: a replay keeps its own copy.
    try:
        await relay.store.delete(FileKey(room.room_id, path.channel, path.file))
    except StoreUnavailable:
        raise store_unavailable() from None
