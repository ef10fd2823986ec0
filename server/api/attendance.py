"""Attendance reports for organisers: per session, the peak number of people in the room
at once, when it was reached, and how many different people came; per session, the
curve over time. JSON or CSV (``?format=csv`` or ``Accept: text/csv``), as the other
reports.

The figures come from presence (server/live/attendance.py): samples are the peak of
each clock-aligned bucket of ``live_attendance_sample_seconds``, counting every
person in the room whatever their role, each person once however many tabs they have
open. Unique viewers are people, not connections; an erased account still counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, or_, select

from server.api.endpoint import Call, endpoint
from server.api.errors import not_found
from server.api.fields import QueryDay, is_row_id
from server.api.reports import CSV, csv_response, wants_csv
from server.appkeys import db_key, settings_key
from server.db.tables import Room, Session, Track
from server.db.tables_attendance import AttendanceSample, AttendanceViewer
from server.domain.timezones import day_bounds_utc, iso_local, iso_utc
from server.programme.lookup import current_event

routes = web.RouteTableDef()

COUNTING = (
    "peak_viewers: the most people in the room at once (every role, each person once "
    "however many tabs), sampled per bucket of bucket_seconds; peak_at: the start of the "
    "first bucket that reached it; unique_viewers: different people who joined the room. "
    "Only sessions whose room had anyone in it are listed."
)


class AttendanceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64, description="event id or slug")
    day: QueryDay | None = Field(
        default=None, description="sessions starting on this day, in the event's zone"
    )
    track: str | None = Field(default=None, max_length=64, description="track id or slug")
    format: Literal["json", "csv"] | None = Field(
        default=None, description="csv for a spreadsheet; default JSON (or as Accept asks)"
    )


class SeriesQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "csv"] | None = Field(
        default=None, description="csv for a spreadsheet; default JSON (or as Accept asks)"
    )


class AttendanceLine(BaseModel):
    id: int
    title: str
    track: str
    track_name: str
    room: str
    state: str
    start_utc: str
    start_event: str
    end_utc: str
    peak_viewers: int
    peak_at: str | None = Field(description="UTC start of the first bucket at the peak")
    unique_viewers: int


class AttendanceReport(BaseModel):
    event: str
    counting: str
    bucket_seconds: int
    total: int
    sessions: list[AttendanceLine]


class AttendancePoint(BaseModel):
    at: str = Field(description="UTC start of the bucket")
    viewers: int = Field(description="the most people in the room at once during the bucket")


class SessionAttendance(BaseModel):
    session_id: int
    title: str
    state: str
    start_utc: str
    end_utc: str
    bucket_seconds: int
    peak_viewers: int
    peak_at: str | None
    unique_viewers: int
    samples: list[AttendancePoint]


def _peak(points: list[tuple[datetime, int]]) -> tuple[int, datetime | None]:
    best: tuple[int, datetime | None] = (0, None)
    for at, n in points:
        if n > best[0]:
            best = (n, at)
    return best


def _filled(rows: list[tuple[datetime, int]], bucket: int) -> list[tuple[datetime, int]]:
    """A room left empty gets a 0 in the next bucket and nothing after (see the recorder):
    the empty stretch up to the next sample is made explicit, so a curve does not ramp."""
    step = timedelta(seconds=bucket)
    out: list[tuple[datetime, int]] = []
    for at, n in rows:
        if out and out[-1][1] == 0 and at - out[-1][0] > step:
            out.append((at - step, 0))
        out.append((at, n))
    return out


def _filtered(q: AttendanceQuery, event_id: int, zone: str) -> Select[Any]:
    stmt = (
        select(Session, Track, Room)
        .join(Track, Track.id == Session.track_id)
        .join(Room, Room.id == Session.room_id)
        .where(Session.event_id == event_id)
    )
    if q.day is not None:
        start, end = day_bounds_utc(q.day, zone)
        stmt = stmt.where(Session.start_utc >= start, Session.start_utc < end)
    if q.track is not None:
        ref = q.track
        stmt = stmt.where(
            or_(Track.id == int(ref), Track.slug == ref) if is_row_id(ref) else Track.slug == ref
        )
    return stmt


@routes.get("/api/v1/reports/attendance")
@endpoint(
    summary="Attendance per session: peak concurrent viewers, when, and unique viewers",
    tag="reports",
    auth="organiser",
    query=AttendanceQuery,
    response=AttendanceReport,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
    description=COUNTING,
)
async def attendance_report(call: Call) -> Any:
    q: AttendanceQuery = call.query
    bucket = call.app[settings_key].live_attendance_sample_seconds
    async with call.app[db_key].read() as s:
        event = await current_event(s, q.event)
        chosen = _filtered(q, event.id, event.timezone).with_only_columns(Session.id)
        top = (
            select(
                AttendanceSample.session_id.label("sid"),
                func.max(AttendanceSample.viewers).label("peak"),
            )
            .where(AttendanceSample.session_id.in_(chosen))
            .group_by(AttendanceSample.session_id)
            .subquery()
        )
        peaks = dict((await s.execute(select(top.c.sid, top.c.peak))).all())
        first_at = (
            select(AttendanceSample.session_id, func.min(AttendanceSample.at))
            .join(
                top,
                (top.c.sid == AttendanceSample.session_id)
                & (top.c.peak == AttendanceSample.viewers),
            )
            .group_by(AttendanceSample.session_id)
        )
        peak_at = dict((await s.execute(first_at)).all()) if peaks else {}
        unique = dict(
            (
                await s.execute(
                    select(AttendanceViewer.session_id, func.count())
                    .where(AttendanceViewer.session_id.in_(chosen))
                    .group_by(AttendanceViewer.session_id)
                )
            ).all()
        )
        wanted = set(peaks) | set(unique)
        rows = (
            (
                await s.execute(
                    _filtered(q, event.id, event.timezone)
                    .where(Session.id.in_(wanted))
                    .order_by(Session.start_utc, Session.id)
                )
            ).all()
            if wanted
            else []
        )
    lines = []
    for session, track, room in rows:
        at = peak_at.get(session.id)
        lines.append(
            AttendanceLine(
                id=session.id,
                title=session.title,
                track=track.slug,
                track_name=track.name,
                room=room.name,
                state=session.state,
                start_utc=iso_utc(session.start_utc),
                start_event=iso_local(session.start_utc, event.timezone),
                end_utc=iso_utc(session.end_utc),
                peak_viewers=int(peaks.get(session.id, 0)),
                peak_at=None if at is None else iso_utc(at),
                unique_viewers=int(unique.get(session.id, 0)),
            )
        )
    report = AttendanceReport(
        event=event.slug, counting=COUNTING, bucket_seconds=bucket, total=len(lines), sessions=lines
    )
    if not wants_csv(call):
        return report
    columns = list(AttendanceLine.model_fields)
    return csv_response(
        f"attendance-{event.slug}.csv", columns, (line.model_dump() for line in lines)
    )


@routes.get("/api/v1/sessions/{id}/attendance")
@endpoint(
    summary="A session's attendance over time: peak concurrent viewers per bucket",
    tag="reports",
    auth="organiser",
    query=SeriesQuery,
    response=SessionAttendance,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
    description=COUNTING,
)
async def session_attendance(call: Call) -> Any:
    session_id = call.path_int("id", "session")
    bucket = call.app[settings_key].live_attendance_sample_seconds
    async with call.app[db_key].read() as s:
        session = await s.get(Session, session_id)
        if session is None:
            raise not_found("session", session_id)
        samples = [
            (at, int(n))
            for at, n in await s.execute(
                select(AttendanceSample.at, AttendanceSample.viewers)
                .where(AttendanceSample.session_id == session_id)
                .order_by(AttendanceSample.at)
            )
        ]
        unique = int(
            await s.scalar(select(func.count()).where(AttendanceViewer.session_id == session_id))
            or 0
        )
    peak, peak_at = _peak(samples)
    points = [AttendancePoint(at=iso_utc(at), viewers=n) for at, n in _filled(samples, bucket)]
    out = SessionAttendance(
        session_id=session.id,
        title=session.title,
        state=session.state,
        start_utc=iso_utc(session.start_utc),
        end_utc=iso_utc(session.end_utc),
        bucket_seconds=bucket,
        peak_viewers=peak,
        peak_at=None if peak_at is None else iso_utc(peak_at),
        unique_viewers=unique,
        samples=points,
    )
    if not wants_csv(call):
        return out
    return csv_response(
        f"attendance-session-{session.id}.csv",
        ("at", "viewers"),
        (p.model_dump() for p in points),
    )
