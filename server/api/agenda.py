"""The public agenda: every matching session, in UTC, the event's zone and the viewer's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlalchemy import Select, exists, func, or_, select

from server.api.agenda_cache import cache_key, etag_of, respond
from server.api.endpoint import Call, endpoint
from server.api.fields import (
    ActionLine,
    LanguageCode,
    QueryDateTime,
    QueryDay,
    Sdg,
    ZoneName,
    is_row_id,
)
from server.api.models import ConflictList, EventOut, SessionOut
from server.appkeys import agenda_cache_key, db_key
from server.db.tables import (
    Event,
    Person,
    Room,
    Session,
    SessionPerson,
    SessionTag,
    SessionType,
    Track,
)
from server.domain.timezones import day_bounds_utc, local_to_utc
from server.programme.conflicts import programme_conflicts
from server.programme.lookup import current_event, like_pattern
from server.programme.render import Renderer

routes = web.RouteTableDef()

STATES = ("scheduled", "lobby", "live", "ended", "cancelled")


class AgendaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64, description="event id or slug")
    tz: ZoneName | None = Field(default=None, description="IANA zone for start_local/end_local")
    day: QueryDay | None = Field(
        default=None, description="a calendar day in `tz` (else the event's)"
    )
    date_from: QueryDay | QueryDateTime | None = Field(default=None, alias="from")
    date_to: QueryDay | QueryDateTime | None = Field(default=None, alias="to")
    track: str | None = Field(default=None, max_length=64, description="track id or slug")
    type: str | None = Field(default=None, max_length=64, description="session type id or key")
    room: str | None = Field(default=None, max_length=64, description="room id or slug")
    language: LanguageCode | None = None
    action_line: ActionLine | None = None
    sdg: Sdg | None = None
    speaker: str | None = Field(default=None, max_length=200, description="person id or name")
    state: str | None = Field(default=None, pattern="^(scheduled|lobby|live|ended|cancelled)$")
    q: str | None = Field(default=None, max_length=200, description="free text")
    limit: int | None = Field(default=None, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)


class Agenda(BaseModel):
    event: EventOut
    tz: str
    total: int
    limit: int | None
    offset: int
    sessions: list[SessionOut]


def _instant(value: date | datetime, zone: str, end: bool) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else local_to_utc(value, zone)
    day = value + timedelta(days=1) if end else value
    return local_to_utc(datetime.combine(day, time.min), zone)


def _by_ref(column_id: object, column_key: object, ref: str) -> object:
    """An id or a slug/key; digits may be either (rooms are often numbered: "101")."""
    if is_row_id(ref):
        return or_(column_id == int(ref), column_key == ref)  # type: ignore[operator]
    return column_key == ref  # type: ignore[operator]


def _tag(kind: str, value: str) -> object:
    return exists().where(
        SessionTag.session_id == Session.id, SessionTag.kind == kind, SessionTag.value == value
    )


def _filtered(q: AgendaQuery, event: Event) -> Select[tuple[Session]]:
    view_zone = q.tz or event.timezone
    stmt = select(Session).where(Session.event_id == event.id)
    if q.day is not None:
        start, end = day_bounds_utc(q.day, view_zone)
        stmt = stmt.where(Session.start_utc < end, Session.end_utc > start)
    if q.date_from is not None:
        stmt = stmt.where(Session.end_utc > _instant(q.date_from, view_zone, end=False))
    if q.date_to is not None:
        stmt = stmt.where(Session.start_utc < _instant(q.date_to, view_zone, end=True))
    if q.track:
        stmt = stmt.where(
            Session.track_id.in_(select(Track.id).where(_by_ref(Track.id, Track.slug, q.track)))
        )
    if q.type:
        stmt = stmt.where(
            Session.type_id.in_(
                select(SessionType.id).where(_by_ref(SessionType.id, SessionType.key, q.type))
            )
        )
    if q.room:
        stmt = stmt.where(
            Session.room_id.in_(select(Room.id).where(_by_ref(Room.id, Room.slug, q.room)))
        )
    if q.language:
        stmt = stmt.where(_tag("language", q.language))
    if q.action_line:
        stmt = stmt.where(_tag("action_line", q.action_line))
    if q.sdg:
        stmt = stmt.where(_tag("sdg", str(q.sdg)))
    if q.state:
        stmt = stmt.where(Session.state == q.state)
    if q.speaker:
        on_panel = select(SessionPerson.session_id).where(SessionPerson.role == "speaker")
        if q.speaker.isdigit():  # an id; digits beyond any id match nobody
            on_panel = on_panel.where(
                SessionPerson.person_id == (int(q.speaker) if is_row_id(q.speaker) else 0)
            )
        else:
            on_panel = on_panel.join(Person, Person.id == SessionPerson.person_id).where(
                Person.name.ilike(like_pattern(q.speaker), escape="\\")
            )
        stmt = stmt.where(Session.id.in_(on_panel))
    if q.q:
        pattern = like_pattern(q.q)
        named = (
            select(SessionPerson.session_id)
            .join(Person, Person.id == SessionPerson.person_id)
            .where(
                or_(
                    Person.name.ilike(pattern, escape="\\"),
                    Person.organisation.ilike(pattern, escape="\\"),
                )
            )
        )
        stmt = stmt.where(
            or_(
                Session.title.ilike(pattern, escape="\\"),
                Session.abstract.ilike(pattern, escape="\\"),
                Session.id.in_(named),
            )
        )
    return stmt


@routes.get("/api/v1/agenda")
@endpoint(
    summary="The agenda, filtered, in the viewer's time zone",
    tag="agenda",
    query=AgendaQuery,
    response=Agenda,
    errors=(404, 422),
)
async def agenda(call: Call) -> web.Response:
    # Pre-serialised bytes with an ETag (server/api/agenda_cache.py); common queries cached.
    q: AgendaQuery = call.query
    app = call.app
    cache = app[agenda_cache_key]
    key = cache_key(q) if cache.max_age > 0 else None

    async def render() -> bytes:
        return _AGENDA_JSON.dump_json(await _render(app, q), by_alias=True)

    if key is None:
        body = await render()
        return respond(call.request, body, etag_of(body))
    entry = await cache.fetch(key, render)
    return respond(call.request, entry.body, entry.etag)


_AGENDA_JSON = TypeAdapter(Agenda)


async def _render(app: web.Application, q: AgendaQuery) -> Agenda:
    async with app[db_key].read() as s:
        event = await current_event(s, q.event)
        stmt = _filtered(q, event)
        total = await s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page = stmt.order_by(Session.start_utc, Session.room_id, Session.id).offset(q.offset)
        if q.limit is not None:
            page = page.limit(q.limit)
        rows = (await s.scalars(page)).all()
        renderer = await Renderer.load(s, event, rows)
        return Agenda(
            event=EventOut.model_validate(event, from_attributes=True),
            tz=q.tz or event.timezone,
            total=total,
            limit=q.limit,
            offset=q.offset,
            sessions=[renderer.session(x, q.tz) for x in rows],
        )


class ConflictQuery(BaseModel):
    event: str | None = Field(default=None, max_length=64)


@routes.get("/api/v1/conflicts")
@endpoint(
    summary="Every conflict in the programme",
    tag="agenda",
    auth="organiser",
    query=ConflictQuery,
    response=ConflictList,
    errors=(401, 403, 404),
)
async def conflicts(call: Call) -> ConflictList:
    async with call.app[db_key].read() as s:
        event = await current_event(s, call.query.event)
        found = await programme_conflicts(s, event)
    return ConflictList(total=len(found), conflicts=found)
