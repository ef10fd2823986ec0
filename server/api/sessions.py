"""Sessions: organisers create, move, re-panel and cancel them; everyone reads them."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.api.fields import (
    ActionLine,
    AwareOrLocal,
    Capacity,
    Id,
    LanguageCode,
    LongText,
    Sdg,
    Title,
    ZoneName,
)
from server.api.models import SessionOut
from server.appkeys import db_key, programme_changes_key
from server.db.tables import Event, Session, Track
from server.db.tables_scheduler import SessionTransition
from server.exchange.mails import send_promotions
from server.programme.changes import ChangeKind, SessionChange
from server.programme.lookup import get_or_404, get_reference
from server.programme.render import Renderer
from server.programme.sessions import SessionFields, write_session
from server.programme.signups import lock_session, promote

routes = web.RouteTableDef()
# Digits only: ``PATCH /api/v1/sessions/1.ics`` is the calendar route's (405), not session "1.ics".
SESSION_PATH = "/api/v1/sessions/{id:[0-9]+}"

_LIST_LIMIT = 50


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    abstract: LongText = ""
    track_id: Id
    type_id: Id
    room_id: Id
    start: AwareOrLocal = Field(
        description="with an offset; without one it is the event's local time"
    )
    end: AwareOrLocal | None = Field(default=None, description="defaults to start + duration_min")
    duration_min: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    languages: list[LanguageCode] = Field(default_factory=lambda: ["en"], max_length=20)
    speaker_ids: list[Id] = Field(default_factory=list, max_length=_LIST_LIMIT)
    moderator_ids: list[Id] = Field(default_factory=list, max_length=_LIST_LIMIT)
    action_lines: list[ActionLine] = Field(default_factory=list, max_length=11)
    sdgs: list[Sdg] = Field(default_factory=list, max_length=17)
    capacity: Capacity | None = Field(default=None, description="defaults to the type's capacity")
    open_to_all: bool | None = Field(
        default=None, description="any registered participant may join without a sign-up"
    )


class SessionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    abstract: LongText | None = None
    track_id: Id | None = None
    type_id: Id | None = None
    room_id: Id | None = None
    start: AwareOrLocal | None = None
    end: AwareOrLocal | None = None
    duration_min: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    languages: list[LanguageCode] | None = Field(default=None, max_length=20)
    speaker_ids: list[Id] | None = Field(default=None, max_length=_LIST_LIMIT)
    moderator_ids: list[Id] | None = Field(default=None, max_length=_LIST_LIMIT)
    action_lines: list[ActionLine] | None = Field(default=None, max_length=11)
    sdgs: list[Sdg] | None = Field(default=None, max_length=17)
    capacity: Capacity | None = None
    open_to_all: bool | None = None


class SessionQuery(BaseModel):
    tz: ZoneName | None = None


def _fields(body: BaseModel, partial: bool) -> SessionFields:
    data = body.model_dump(exclude_unset=partial)
    capacity_set = "capacity" in body.model_fields_set
    return SessionFields(
        **{k: v for k, v in data.items() if k != "capacity"},
        capacity=data.get("capacity"),
        capacity_set=capacity_set,
    )


async def render_one(s: AsyncSession, row: Session, tz: str | None = None) -> SessionOut:
    event = await s.get(Event, row.event_id)
    assert event is not None
    return (await Renderer.load(s, event, [row])).session(row, tz)


async def _publish(call: Call, kind: ChangeKind, row: Session) -> None:
    await call.app[programme_changes_key].publish(SessionChange(kind, row.id, row.event_id))


@routes.post("/api/v1/sessions")
@endpoint(
    summary="Create a session (409 on conflicts)",
    tag="sessions",
    auth="organiser",
    body=SessionIn,
    response=SessionOut,
    status=201,
    errors=(401, 403, 409, 422),
)
async def create_session(call: Call) -> SessionOut:
    async with call.app[db_key].write() as s:
        track = await get_reference(s, Track, call.body.track_id, "track_id")
        event = await s.get(Event, track.event_id)
        assert event is not None
        row = Session(event_id=event.id, state="scheduled", version=1)
        row = await write_session(s, event, row, _fields(call.body, partial=False))
        out = await render_one(s, row)
    await _publish(call, "created", row)
    return out


@routes.get(SESSION_PATH)
@endpoint(
    summary="Get a session",
    tag="sessions",
    query=SessionQuery,
    response=SessionOut,
    errors=(404, 422),
)
async def get_session(call: Call) -> SessionOut:
    async with call.app[db_key].read() as s:
        row = await get_or_404(s, Session, call.path_int("id", "session"), "session")
        return await render_one(s, row, call.query.tz)


@routes.patch(SESSION_PATH)
@endpoint(
    summary="Update, move or re-panel a session (409 on conflicts)",
    tag="sessions",
    auth="organiser",
    body=SessionPatch,
    response=SessionOut,
    errors=(401, 403, 404, 409, 422),
)
async def update_session(call: Call) -> SessionOut:
    fields = _fields(call.body, partial=True)
    async with call.app[db_key].write() as s:
        row = await lock_session(s, call.path_int("id", "session"))
        if row is None:
            raise ApiError(404, "not_found", "session does not exist", {"kind": "session"})
        event = await s.get(Event, row.event_id)
        assert event is not None
        row = await write_session(s, event, row, fields)
        promoted = []
        if fields.capacity_set:
            promoted = await promote(s, row)  # a larger room seats the waitlist at once
        out = await render_one(s, row)
    await _publish(call, "updated", row)
    await send_promotions(call.app, row.id, [p.user_id for p in promoted])
    return out


@routes.post("/api/v1/sessions/{id}/cancel")
@endpoint(
    summary="Cancel a session",
    tag="sessions",
    auth="organiser",
    response=SessionOut,
    errors=(401, 403, 404, 409),
)
async def cancel_session(call: Call) -> SessionOut:
    async with call.app[db_key].write() as s:
        row = await get_or_404(s, Session, call.path_int("id", "session"), "session")
        if row.state == "ended":
            raise ApiError(409, "already_ended", "an ended session cannot be cancelled")
        if row.state != "cancelled":
            # Recorded like every lifecycle change: who, from which state, when.
            s.add(
                SessionTransition(
                    session_id=row.id,
                    from_state=row.state,
                    to_state="cancelled",
                    at=datetime.now(UTC),
                    cause="moderator",
                    action="cancel",
                    by_user_id=call.signed_in.id,
                    detail={},
                )
            )
            row.state = "cancelled"
            row.version += 1
            await s.flush()
        out = await render_one(s, row)
    await _publish(call, "cancelled", row)
    return out


@routes.delete(SESSION_PATH)
@endpoint(
    summary="Delete a session", tag="sessions", auth="organiser", status=204, errors=(401, 403, 404)
)
async def delete_session(call: Call) -> None:
    async with call.app[db_key].write() as s:
        row = await get_or_404(s, Session, call.path_int("id", "session"), "session")
        await s.delete(row)
    await _publish(call, "deleted", row)
