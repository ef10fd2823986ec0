"""Join tokens and media-server credentials for one session (docs/tokens.md)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import db_key, join_throttle_key
from server.db.tables import Room, Session
from server.domain.timezones import iso_utc
from server.tokens.join import decide_join, sign_grant
from server.tokens.media import MediaOut, media_for
from server.tokens.rules import TokenRole

routes = web.RouteTableDef()

_REFUSALS = (
    "Refusals carry a reason code: 403 not_registered, banned, role_not_allowed; "
    "409 full, not_open_yet (details.opens_at), ended, cancelled."
)


class JoinQuery(BaseModel):
    role: TokenRole | None = Field(
        default=None,
        description="a lower role than yours, or captioner (moderators and organisers only)",
    )


class JoinOut(BaseModel):
    token: str = Field(description="EdDSA JWT; verify with /.well-known/jwks.json")
    session_id: int
    role: str
    not_before: str = Field(description="the window opens (lobby, or green room for the panel)")
    expires_at: str = Field(description="the session's end plus the grace period")


async def _throttle(call: Call) -> None:
    throttle = call.app[join_throttle_key]
    key = str(call.signed_in.id)
    wait = await throttle.retry_after(key)
    if wait:
        raise ApiError(
            429,
            "too_many_requests",
            "too many token requests; wait a little",
            {"retry_after": wait},
            headers={"Retry-After": str(wait)},
        )
    await throttle.failed(key)  # counts every request in the sliding window


@routes.post("/api/v1/sessions/{id}/join")
@endpoint(
    summary="A join token for a session, when you may join it",
    description=_REFUSALS,
    tag="tokens",
    auth="user",
    query=JoinQuery,
    response=JoinOut,
    errors=(403, 404, 409, 429, 503),
)
async def join(call: Call) -> JoinOut:
    session_id = call.path_int("id", "session")
    await _throttle(call)
    grant = await decide_join(call.app, call.signed_in, session_id, call.query.role)
    issued = await sign_grant(call.app, grant)
    return JoinOut(
        token=issued.token,
        session_id=session_id,
        role=grant.role,
        not_before=iso_utc(grant.opens_at),
        expires_at=iso_utc(grant.closes_at),
    )


@routes.get("/api/v1/sessions/{id}/media")
@endpoint(
    summary="Credentials for the session room's media server (LiveKit, Jitsi, MediaMTX, BBB)",
    description=_REFUSALS + " 409 no_media_server when the room needs no media token.",
    tag="tokens",
    auth="user",
    query=JoinQuery,
    response=MediaOut,
    errors=(403, 404, 409, 429, 503),
)
async def media(call: Call) -> object:
    session_id = call.path_int("id", "session")
    await _throttle(call)
    grant = await decide_join(call.app, call.signed_in, session_id, call.query.role)
    async with call.app[db_key].read() as s:
        room = (
            await s.execute(
                select(Room)
                .join(Session, Session.room_id == Room.id)
                .where(Session.id == session_id)
            )
        ).scalar_one_or_none()
    if room is None:
        raise ApiError(404, "not_found", f"session {session_id} does not exist")
    return await media_for(call.app, grant, room.id, room.stream or {}, call.signed_in.name)
