"""Room streams: organisers configure them, moderators rotate the key, viewers get what to play.

- ``GET/PUT /api/v1/rooms/{id}/stream``: the room's provider and language channels.
- ``POST /api/v1/rooms/{id}/stream-key``: a new relay stream key (shown once).
- ``GET /api/v1/sessions/{id}/stream``: with a join token, what the join page plays.
- ``GET /api/v1/sessions/{id}/replay``: a session's published replays.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field, RootModel
from sqlalchemy import select

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError, forbidden, not_found, unauthorized
from server.appkeys import db_key, relay_key, settings_key
from server.db.tables import Event, Person, Room, Session, SessionPerson, User
from server.db.tables_streaming import StreamKey
from server.domain.timezones import iso_utc
from server.programme.lookup import get_or_404
from server.programme.roles import may_moderate
from server.streaming.config import (
    EmbedConfig,
    HlsUrlConfig,
    RelayConfig,
    StreamConfig,
    channel_errors,
    dump_config,
    keep_secrets,
    load_config,
)
from server.streaming.keys import rotate
from server.streaming.signing import PlaybackGrant
from server.tokens.join import JoinClaims, TokenError, verify_join_token
from server.tokens.media import MediaOut, media_for
from server.tokens.rules import Grant

routes = web.RouteTableDef()

Status = Literal["live", "offline"]


class StreamConfigIn(RootModel[StreamConfig]):
    """One of the providers, chosen by ``provider``."""


class ChannelHealthOut(BaseModel):
    channel: str
    status: Status
    last_segment_at: str | None
    target_duration: float | None


class IngestOut(BaseModel):
    channel: str
    url: str = Field(
        description="PUT the channel's playlist and segments here (ffmpeg -method PUT)"
    )


class RoomStreamOut(BaseModel):
    room_id: int
    config: StreamConfig = Field(description="write-only secrets read as null")
    secrets_set: list[str] = Field(description="write-only fields that hold a value")
    stream_key_set: bool
    stream_key_rotated_at: str | None
    ingest: list[IngestOut] = Field(description="relay only: one playlist URL per channel")
    health: list[ChannelHealthOut] = Field(description="relay only")


class StreamKeyOut(BaseModel):
    room_id: int
    stream_key: str = Field(description="shown once; the previous key stops working")
    rotated_at: str
    ingest: list[IngestOut]


class StreamChannelOut(BaseModel):
    key: str
    label: str
    url: str | None = Field(
        description="relay: the playlist, carrying a signed t; hls_url and embed: their URL"
    )
    status: Status | None = Field(description="relay only: live or offline")


class SessionStreamOut(BaseModel):
    session_id: int
    room_id: int
    provider: str
    on_air: bool = Field(description="this session is the one the room is showing now")
    channels: list[StreamChannelOut]
    playback_expires_at: str | None = Field(
        description="relay: the signed URLs stop working then; ask again before"
    )
    media: MediaOut | None = Field(description="livekit, jitsi, mediamtx, bigbluebutton")


class ReplayChannelOut(BaseModel):
    key: str
    label: str
    url: str
    segments: int
    duration_s: float
    published_at: str


class ReplayOut(BaseModel):
    session_id: int
    channels: list[ReplayChannelOut]


# --- who may ---------------------------------------------------------------------------


async def _room_manager(call: Call, room_id: int) -> Room:
    """Organisers, and moderators of a session in this room that is not over."""
    user = call.signed_in
    grace = timedelta(minutes=call.app[settings_key].join_grace_minutes)
    async with call.app[db_key].read() as s:
        room = await get_or_404(s, Room, room_id, "room")
        if user.role == "organiser":
            return room
        candidates = await s.scalars(
            select(Session.id)
            .join(SessionPerson, SessionPerson.session_id == Session.id)
            .join(Person, Person.id == SessionPerson.person_id)
            .where(
                Session.room_id == room_id,
                Session.state != "cancelled",
                Session.end_utc >= datetime.now(UTC) - grace,
                Person.user_id == user.id,
            )
            .distinct()
        )
        for session_id in candidates:
            if await may_moderate(s, user, session_id):
                return room
    raise forbidden("only organisers and this room's moderators may do this")


def _ingest_urls(call: Call, room_id: int, config: StreamConfig) -> list[IngestOut]:
    if not isinstance(config, RelayConfig):
        return []
    base = call.app[settings_key].public_url.rstrip("/")
    return [
        IngestOut(channel=key, url=f"{base}/ingest/{room_id}/{key}/index.m3u8")
        for key in config.channel_keys()
    ]


async def _room_out(call: Call, room: Room) -> RoomStreamOut:
    relay = call.app[relay_key]
    config = load_config(room.stream, room.id)
    secrets_set = [name for name, value in config.secrets().items() if value]
    public = config.model_copy(update=dict.fromkeys(config.secrets()))
    async with call.app[db_key].read() as s:
        key = await s.get(StreamKey, room.id)
    health: list[ChannelHealthOut] = []
    if isinstance(config, RelayConfig):
        states = await relay.health.read(room.id, config.channel_keys())
        health = [
            ChannelHealthOut(
                channel=channel,
                status=h.status,
                last_segment_at=_iso(h.last_segment_at),
                target_duration=h.target_duration,
            )
            for channel, h in states.items()
        ]
    return RoomStreamOut(
        room_id=room.id,
        config=public,
        secrets_set=secrets_set,
        stream_key_set=key is not None,
        stream_key_rotated_at=iso_utc(key.created_at) if key else None,
        ingest=_ingest_urls(call, room.id, config),
        health=health,
    )


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else iso_utc(datetime.fromtimestamp(epoch, UTC))


# --- organiser API ---------------------------------------------------------------------


@routes.get("/api/v1/rooms/{id}/stream")
@endpoint(
    summary="A room's stream configuration, stream-key status and channel health",
    tag="streaming",
    auth="user",
    response=RoomStreamOut,
    errors=(403, 404),
)
async def get_room_stream(call: Call) -> RoomStreamOut:
    room = await _room_manager(call, call.path_int("id", "room"))
    return await _room_out(call, room)


@routes.put("/api/v1/rooms/{id}/stream")
@endpoint(
    summary="Set a room's stream provider and language channels",
    description="Secrets (api_secret, app_secret, shared_secret) are write-only: "
    "leave them out to keep the stored value.",
    tag="streaming",
    auth="organiser",
    body=StreamConfigIn,
    response=RoomStreamOut,
    errors=(404,),
)
async def put_room_stream(call: Call) -> RoomStreamOut:
    room_id = call.path_int("id", "room")
    config: StreamConfig = call.body.root
    settings = call.app[settings_key]
    async with call.app[db_key].write() as s:
        room = await get_or_404(s, Room, room_id, "room")
        event = await s.get(Event, room.event_id)
        languages = list(event.languages) if event else []
        problems = channel_errors(config, languages, settings.embed_allowed_hosts)
        missing = keep_secrets(config, load_config(room.stream, room.id))
        problems += [f"{name} is required" for name in missing]
        if problems:
            raise ApiError(
                422,
                "validation_error",
                "the stream configuration is not valid for this room",
                [{"location": ["body"], "message": p, "type": "stream"} for p in problems],
            )
        room.stream = dump_config(config)
    call.app[relay_key].rooms.forget(room_id)
    return await _room_out(call, room)


@routes.post("/api/v1/rooms/{id}/stream-key")
@endpoint(
    summary="Rotate a room's relay stream key (organisers and the room's moderators)",
    tag="streaming",
    auth="user",
    response=StreamKeyOut,
    status=201,
    errors=(403, 404),
)
async def rotate_stream_key(call: Call) -> StreamKeyOut:
    room = await _room_manager(call, call.path_int("id", "room"))
    key, at = await rotate(call.app[db_key], room.id, call.signed_in.id)
    call.app[relay_key].rooms.forget(room.id)
    return StreamKeyOut(
        room_id=room.id,
        stream_key=key,
        rotated_at=iso_utc(at),
        ingest=_ingest_urls(call, room.id, load_config(room.stream, room.id)),
    )


# --- viewers ---------------------------------------------------------------------------


async def _join_claims(call: Call, session_id: int) -> JoinClaims:
    scheme, _, token = call.request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("send your join token as Authorization: Bearer <token>")
    try:
        return await verify_join_token(call.app, token.strip(), session_id)
    except TokenError as exc:
        status = 403 if exc.code in ("banned", "wrong_session") else 401
        raise ApiError(status, exc.code, exc.message) from None


@routes.get("/api/v1/sessions/{id}/stream")
@endpoint(
    summary="What the join page plays for a session (needs its join token as Bearer)",
    description="Relay URLs carry a signed `t` (bound to room and channel, short-lived); "
    "hls.js may instead send the join token as Authorization: Bearer on every request.",
    tag="streaming",
    auth="token",
    response=SessionStreamOut,
    errors=(403, 404, 503),
)
async def session_stream(call: Call) -> SessionStreamOut:
    session_id = call.path_int("id", "session")
    claims = await _join_claims(call, session_id)
    relay = call.app[relay_key]
    async with call.app[db_key].read() as s:
        row = (
            await s.execute(
                select(Session.room_id, Room.stream, User.name)
                .join(Room, Room.id == Session.room_id)
                .outerjoin(User, User.public_id == claims.sub)
                .where(Session.id == session_id)
            )
        ).one_or_none()
    if row is None:
        raise not_found("session", session_id)
    room_id, stream, name = row
    config = load_config(stream, room_id)
    on_air = await relay.rooms.on_air(room_id)
    out = SessionStreamOut(
        session_id=session_id,
        room_id=room_id,
        provider=config.provider,
        on_air=on_air is not None and on_air.session_id == session_id,
        channels=[],
        playback_expires_at=None,
        media=None,
    )
    if isinstance(config, RelayConfig):
        exp = min(claims.exp, int(time.time()) + relay.settings.stream_playback_seconds)
        states = await relay.health.read(room_id, config.channel_keys())
        for channel in config.channels:
            grant = PlaybackGrant(
                room_id,
                channel.key,
                session_id,
                claims.sub,
                claims.jti,
                claims.iat,
                claims.role,
                exp,
            )
            t = relay.signer.mint(grant)
            out.channels.append(
                StreamChannelOut(
                    key=channel.key,
                    label=channel.label,
                    url=f"/hls/{room_id}/{channel.key}/index.m3u8?t={t}",
                    status=states[channel.key].status,
                )
            )
        out.playback_expires_at = _iso(exp)
    elif isinstance(config, HlsUrlConfig | EmbedConfig):
        out.channels = [
            StreamChannelOut(key=c.key, label=c.label, url=c.url, status=None)
            for c in config.channels
        ]
    else:
        grant = Grant(
            session_id,
            claims.sub,
            claims.role,
            datetime.fromtimestamp(claims.nbf, UTC),
            datetime.fromtimestamp(claims.exp, UTC),
        )
        out.channels = [
            StreamChannelOut(key=c.key, label=c.label, url=None, status=None)
            for c in config.channels
        ]
        out.media = await media_for(call.app, grant, room_id, stream or {}, name or "Guest")
    return out


@routes.get("/api/v1/sessions/{id}/replay")
@endpoint(
    summary="A session's published replays, one per language channel",
    tag="streaming",
    auth="user",
    response=ReplayOut,
    errors=(404,),
)
async def session_replay(call: Call) -> ReplayOut:
    session_id = call.path_int("id", "session")
    relay = call.app[relay_key]
    async with call.app[db_key].read() as s:
        session = await get_or_404(s, Session, session_id, "session")
        room = await s.get(Room, session.room_id)
    labels: dict[str, str] = {}
    if room is not None:
        labels = {c.key: c.label for c in load_config(room.stream, room.id).channels}
    return ReplayOut(
        session_id=session_id,
        channels=[
            ReplayChannelOut(
                key=p.channel,
                label=labels.get(p.channel, p.channel),
                url=f"/replay/{session_id}/{p.channel}/index.m3u8",
                segments=p.segments,
                duration_s=round(p.duration_s, 3),
                published_at=iso_utc(p.published_at),
            )
            for p in await relay.replays.published(session_id)
        ],
    )
