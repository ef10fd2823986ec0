"""Calendars (iCalendar), frab schedules (JSON, XML) and imports (CSV, frab JSON)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.api.agenda import AgendaQuery, _filtered
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import db_key, programme_changes_key, settings_key
from server.db.tables import Event, Session
from server.exchange import feeds
from server.exchange.csv_import import parse_csv
from server.exchange.frab_import import parse_frab
from server.exchange.frab_json import to_json
from server.exchange.frab_model import FrabSchedule, build_schedule
from server.exchange.frab_xml import to_xml
from server.exchange.ical import CONTENT_TYPE as ICS
from server.exchange.ical import build_calendar
from server.exchange.ids import base_url
from server.exchange.importer import ImportReport, apply_import, report_changes
from server.exchange.plan import ImportPlan
from server.programme.lookup import current_event, get_or_404
from server.programme.render import Renderer

routes = web.RouteTableDef()

XML = "application/xml"
FEED_REFRESH_MINUTES = 60
_FEED_TOUCH = timedelta(hours=1)  # how often a feed fetch records that it was used


class EventQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64, description="event id or slug")


class ImportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64, description="event id or slug")
    dry_run: bool = Field(default=False, description="check and report, write nothing")


class CalendarFeedOut(BaseModel):
    url: str = Field(description="secret: whoever has it can read your schedule")
    webcal_url: str
    created_at: str


def _calendar(body: bytes, filename: str, private: bool = False) -> web.Response:
    return web.Response(
        body=body,
        content_type=ICS,
        charset="utf-8",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-cache" if private else "no-cache",
        },
    )


@routes.get("/api/v1/agenda.ics")
@endpoint(
    summary="The agenda as iCalendar (the same filters as /api/v1/agenda)",
    tag="calendar",
    query=AgendaQuery,
    response=str,
    produces=ICS,
    errors=(404, 422),
    description="Times are in the event's zone, with its VTIMEZONE; `tz` only picks the day "
    "for `day`.",
)
async def agenda_ics(call: Call) -> web.Response:
    q: AgendaQuery = call.query
    async with call.app[db_key].read() as s:
        event = await current_event(s, q.event)
        stmt = _filtered(q, event).order_by(Session.start_utc, Session.room_id, Session.id)
        stmt = stmt.offset(q.offset)
        if q.limit is not None:
            stmt = stmt.limit(q.limit)
        rows = (await s.scalars(stmt)).all()
        view = await Renderer.load(s, event, rows)
    body = build_calendar(view, rows, call.app[settings_key].public_url, name=event.name)
    return _calendar(body, f"{event.slug}.ics")


@routes.get("/api/v1/sessions/{id}.ics")
@endpoint(
    summary="One session as iCalendar",
    tag="calendar",
    response=str,
    produces=ICS,
    errors=(404,),
)
async def session_ics(call: Call) -> web.Response:
    async with call.app[db_key].read() as s:
        row = await get_or_404(s, Session, call.path_int("id", "session"), "session")
        event = await s.get(Event, row.event_id)
        assert event is not None
        view = await Renderer.load(s, event, [row])
    body = build_calendar(view, [row], call.app[settings_key].public_url, name=row.title)
    return _calendar(body, f"session-{row.id}.ics")


def _feed_out(call: Call, feed: Any) -> CalendarFeedOut:
    url = base_url(call.app[settings_key].public_url) + feeds.feed_path(feed.secret)
    return CalendarFeedOut(
        url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        created_at=feed.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    )


@routes.get("/api/v1/me/calendar")
@endpoint(
    summary="My calendar feed URL (starred and signed-up sessions); made on first call",
    tag="calendar",
    auth="user",
    response=CalendarFeedOut,
    errors=(401,),
)
async def my_calendar(call: Call) -> CalendarFeedOut:
    async with call.app[db_key].read() as s:
        feed = await feeds.feed_of(s, call.signed_in.id, create=False)
    if feed is None:  # the first call: take the write path only then
        try:
            async with call.app[db_key].write() as s:
                feed = await feeds.feed_of(s, call.signed_in.id, create=True)
        except IntegrityError:  # a concurrent first call made it (one feed per account)
            async with call.app[db_key].read() as s:
                feed = await feeds.feed_of(s, call.signed_in.id, create=False)
    assert feed is not None
    return _feed_out(call, feed)


@routes.post("/api/v1/me/calendar/rotate")
@endpoint(
    summary="Replace my calendar feed URL (the old one stops working)",
    tag="calendar",
    auth="user",
    response=CalendarFeedOut,
    errors=(401,),
)
async def rotate_calendar(call: Call) -> CalendarFeedOut:
    async with call.app[db_key].write() as s:
        return _feed_out(call, await feeds.rotate(s, call.signed_in.id))


@routes.delete("/api/v1/me/calendar")
@endpoint(
    summary="Revoke my calendar feed URL",
    tag="calendar",
    auth="user",
    status=204,
    errors=(401,),
)
async def revoke_calendar(call: Call) -> None:
    async with call.app[db_key].write() as s:
        await feeds.revoke(s, call.signed_in.id)


@routes.get("/api/v1/calendar/{secret}.ics")
@endpoint(
    summary="A personal calendar feed (the secret in the path is the credential)",
    tag="calendar",
    response=str,
    produces=ICS,
    errors=(404,),
)
async def calendar_feed(call: Call) -> web.Response:
    secret = call.request.match_info["secret"]
    db = call.app[db_key]
    async with db.read() as s:
        feed = await feeds.owner_of(s, secret)
        if feed is None:
            raise ApiError(404, "not_found", "no such calendar feed (it may have been replaced)")
        rows, status = await feeds.feed_sessions(s, feed.user_id)
        views: dict[int, Renderer] = {}
        for event_id in sorted({x.event_id for x in rows}):
            event = await s.get(Event, event_id)
            assert event is not None
            views[event_id] = await Renderer.load(
                s, event, [x for x in rows if x.event_id == event_id]
            )
        if not views:
            event = await current_event(s)
            views[event.id] = await Renderer.load(s, event, [])
    now = datetime.now(UTC)
    if feed.last_used_at is None or now - feed.last_used_at > _FEED_TOUCH:
        async with db.write() as s:
            fresh = await s.get(feeds.CalendarFeed, feed.id)
            if fresh is not None:
                fresh.last_used_at = now
    # A feed is one calendar with one VTIMEZONE: the latest event's. Sessions of other
    # events (rare) are written in that zone too, which keeps their instants right.
    latest = max(views.values(), key=lambda v: v.event.final_start)
    view = Renderer(latest.event, {}, {}, {}, {}, {})
    for other in views.values():
        view.tracks.update(other.tracks)
        view.types.update(other.types)
        view.rooms.update(other.rooms)
        view.people.update(other.people)
    body = build_calendar(
        view,
        rows,
        call.app[settings_key].public_url,
        name="My forumlive schedule",
        status=status,
        refresh_minutes=FEED_REFRESH_MINUTES,
    )
    return _calendar(body, "my-schedule.ics", private=True)


async def _schedule(call: Call) -> tuple[Event, FrabSchedule]:
    async with call.app[db_key].read() as s:
        event = await current_event(s, call.query.event)
        rows = (
            await s.scalars(
                select(Session)
                .where(Session.event_id == event.id)
                .order_by(Session.start_utc, Session.room_id, Session.id)
            )
        ).all()
        view = await Renderer.load(s, event, rows)
    return event, build_schedule(view, rows, call.app[settings_key].public_url)


@routes.get("/api/v1/schedule.json")
@endpoint(
    summary="The programme as a frab / pretalx JSON schedule",
    tag="exchange",
    query=EventQuery,
    response=dict[str, Any],
    errors=(404, 422),
    description="Valid against https://c3voc.de/schedule/schema.json. Cancelled sessions "
    "are left out. forumlive's own fields travel in `conference.meta.forumlive`.",
)
async def schedule_json(call: Call) -> web.Response:
    event, schedule = await _schedule(call)
    return web.Response(
        text=json.dumps(to_json(schedule), ensure_ascii=False),
        content_type="application/json",
        headers={"Content-Disposition": f'inline; filename="{event.slug}-schedule.json"'},
    )


@routes.get("/api/v1/schedule.xml")
@endpoint(
    summary="The programme as a frab schedule.xml",
    tag="exchange",
    query=EventQuery,
    response=str,
    produces=XML,
    errors=(404, 422),
    description="Valid against the c3voc schedule.xml.xsd. Cancelled sessions are left out.",
)
async def schedule_xml(call: Call) -> web.Response:
    event, schedule = await _schedule(call)
    return web.Response(
        body=to_xml(schedule),
        content_type=XML,
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="{event.slug}-schedule.xml"'},
    )


async def _read_body(request: web.Request, limit: int) -> bytes:
    too_large = ApiError(
        413, "payload_too_large", f"the file is larger than {limit} bytes", {"limit": limit}
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise ApiError(400, "empty_body", "the request body is empty; send the file")
    return body


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad_encoding", f"the file is not UTF-8: {exc}") from None


async def _import(call: Call, plan: ImportPlan) -> ImportReport:
    q: ImportQuery = call.query
    report = await apply_import(call.app[db_key], q.event, plan, dry_run=q.dry_run)
    if not report.ok and not q.dry_run:
        raise ApiError(
            422,
            "import_invalid",
            f"{len(report.errors)} problems in the file; nothing was imported",
            report.model_dump(),
        )
    if report.written:
        # One batch: the scheduler re-plans it in one pass and a large import reaches
        # clients as one "bulk" agenda:changed instead of one push per session.
        await call.app[programme_changes_key].publish_many(
            await report_changes(call.app[db_key], report)
        )
    return report


_IMPORT_DOC = (
    "A dry run checks everything, reports every error and the conflicts a real import "
    "would create, and writes nothing. A real import writes all rows or, when any row "
    "has an error, nothing (422 `import_invalid`, the report in `details`). Conflicts "
    "do not stop an import; they are listed in the report."
)


@routes.post("/api/v1/import/csv")
@endpoint(
    summary="Import sessions and their people from CSV (columns: docs/import.md)",
    tag="exchange",
    auth="organiser",
    query=ImportQuery,
    request_content_type="text/csv",
    request_schema={
        "type": "string",
        "minLength": 1,
        "description": "UTF-8 CSV, header row first",
    },
    response=ImportReport,
    errors=(401, 403, 404, 413, 415, 422),
    description=_IMPORT_DOC,
)
async def import_csv(call: Call) -> ImportReport:
    body = await _read_body(call.request, call.app[settings_key].import_max_bytes)
    return await _import(call, parse_csv(_text(body)))


@routes.post("/api/v1/import/frab")
@endpoint(
    summary="Import a frab / pretalx JSON schedule",
    tag="exchange",
    auth="organiser",
    query=ImportQuery,
    request_content_type="application/json",
    request_schema={
        "type": "object",
        "description": "a schedule.json (https://c3voc.de/schedule/schema.json)",
    },
    response=ImportReport,
    errors=(401, 403, 404, 413, 415, 422),
    description=_IMPORT_DOC,
)
async def import_frab(call: Call) -> ImportReport:
    body = await _read_body(call.request, call.app[settings_key].import_max_bytes)
    try:
        document = json.loads(_text(body))
    except json.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    return await _import(call, parse_frab(document))
