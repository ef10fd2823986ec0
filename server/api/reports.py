"""Balance reports for organisers, as JSON or CSV (``?format=csv`` or ``Accept: text/csv``).

Cancelled sessions are left out: they do not happen. Speakers are counted two
ways, side by side: ``slots`` (one per speaker per session: who is heard) and
``people`` (each person once: who was invited). Moderators are not speakers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from server.api.endpoint import Call, endpoint
from server.appkeys import db_key
from server.db.tables import Event, Person, Session, SessionType, Track
from server.domain.balance import (
    Breakdown,
    PanelSession,
    Speaker,
    breakdown,
    is_high_level,
    tag_counts,
    without_moderator,
    without_woman_speaker,
)
from server.domain.reference import ACTION_LINE_TITLES, SDG_TITLES
from server.domain.timezones import iso_local, iso_utc
from server.programme.lookup import current_event

routes = web.RouteTableDef()

CSV = "text/csv"
COUNTING = (
    "slots: one per speaker per session; people: each person once, however many "
    "sessions they speak in. Cancelled sessions and moderators are not counted."
)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str | None = Field(default=None, max_length=64, description="event id or slug")
    format: Literal["json", "csv"] | None = Field(
        default=None, description="csv for a spreadsheet; default JSON (or as Accept asks)"
    )


class CategoryCounts(BaseModel):
    slots: dict[str, int]
    people: dict[str, int]


class BalanceGroup(BaseModel):
    key: str = Field(description="'all', a track slug or a session type key")
    name: str
    sessions: int
    speaker_slots: int
    speakers: int = Field(description="distinct people")
    gender: CategoryCounts
    stakeholder_group: CategoryCounts


class SpeakerReport(BaseModel):
    event: str
    counting: str
    overall: BalanceGroup
    by_track: list[BalanceGroup]
    by_type: list[BalanceGroup]


class SessionLine(BaseModel):
    id: int
    title: str
    track: str
    track_name: str
    high_level: bool
    type: str
    start_utc: str
    start_event: str
    speakers: int
    moderators: int
    stakeholder_groups: list[str]


class SessionList(BaseModel):
    event: str
    total: int
    sessions: list[SessionLine]


class TagShare(BaseModel):
    key: str
    title: str
    sessions: int
    share: float = Field(description="of all sessions counted; a session has several tags")


class TagReport(BaseModel):
    event: str
    sessions: int
    action_lines: list[TagShare]
    sdgs: list[TagShare]


async def _load(call: Call) -> tuple[Event, list[PanelSession]]:
    async with call.app[db_key].read() as s:
        event = await current_event(s, call.query.event)
        tracks = {t.id: t for t in await s.scalars(select(Track).where(Track.event_id == event.id))}
        types = {
            t.id: t
            for t in await s.scalars(select(SessionType).where(SessionType.event_id == event.id))
        }
        rows = (
            await s.scalars(
                select(Session)
                .where(Session.event_id == event.id, Session.state != "cancelled")
                .order_by(Session.start_utc, Session.id)
            )
        ).all()
        person_ids = sorted({p.person_id for x in rows for p in x.people})
        people: dict[int, Person] = {}
        for i in range(0, len(person_ids), 500):
            chunk = person_ids[i : i + 500]
            people.update(
                {p.id: p for p in await s.scalars(select(Person).where(Person.id.in_(chunk)))}
            )
    sessions = []
    for x in rows:
        track, stype = tracks[x.track_id], types[x.type_id]
        sessions.append(
            PanelSession(
                id=x.id,
                title=x.title,
                track_key=track.slug,
                track_name=track.name,
                type_key=stype.key,
                type_name=stype.name,
                start_utc=x.start_utc,
                speakers=tuple(
                    (
                        p.person_id,
                        Speaker(people[p.person_id].gender, people[p.person_id].stakeholder_group),
                    )
                    for p in x.people
                    if p.role == "speaker"
                ),
                moderator_ids=tuple(p.person_id for p in x.people if p.role == "moderator"),
                action_lines=tuple(t.value for t in x.tags if t.kind == "action_line"),
                sdgs=tuple(int(t.value) for t in x.tags if t.kind == "sdg"),
            )
        )
    return event, sessions


def wants_csv(call: Call) -> bool:
    if call.query.format is not None:
        return call.query.format == "csv"
    accept = call.request.headers.get("Accept", "")
    return CSV in accept and "application/json" not in accept


def csv_response(
    filename: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]
) -> web.Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return web.Response(
        text=out.getvalue(),
        content_type=CSV,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _group(key: str, name: str, b: Breakdown) -> BalanceGroup:
    return BalanceGroup(
        key=key,
        name=name,
        sessions=b.sessions,
        speaker_slots=b.speaker_slots,
        speakers=b.speakers,
        gender=CategoryCounts(slots=b.gender.slots, people=b.gender.people),
        stakeholder_group=CategoryCounts(
            slots=b.stakeholder_group.slots, people=b.stakeholder_group.people
        ),
    )


def _grouped(
    sessions: Sequence[PanelSession],
    key: Callable[[PanelSession], tuple[str, str]],
    high_level_first: bool = False,
) -> list[BalanceGroup]:
    groups: dict[tuple[str, str], list[PanelSession]] = {}
    for x in sessions:
        groups.setdefault(key(x), []).append(x)
    ordered = sorted(
        groups.items(),
        key=lambda item: (high_level_first and not is_high_level(*item[0]), item[0][1]),
    )
    return [_group(k, n, breakdown(members)) for (k, n), members in ordered]


@routes.get("/api/v1/reports/speakers")
@endpoint(
    summary="Speakers by gender and stakeholder group: overall, per track, per session type",
    tag="reports",
    auth="organiser",
    query=ReportQuery,
    response=SpeakerReport,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
    description=COUNTING,
)
async def speakers(call: Call) -> SpeakerReport | web.Response:
    event, sessions = await _load(call)
    report = SpeakerReport(
        event=event.slug,
        counting=COUNTING,
        overall=_group("all", "All sessions", breakdown(sessions)),
        by_track=_grouped(sessions, lambda x: (x.track_key, x.track_name), high_level_first=True),
        by_type=_grouped(sessions, lambda x: (x.type_key, x.type_name)),
    )
    if not wants_csv(call):
        return report
    rows = []
    scopes = [("overall", report.overall)]
    scopes += [("track", g) for g in report.by_track] + [("type", g) for g in report.by_type]
    for scope, g in scopes:
        for dimension, counts in (("gender", g.gender), ("stakeholder_group", g.stakeholder_group)):
            for category, slots in counts.slots.items():
                rows.append(
                    {
                        "scope": scope,
                        "key": g.key,
                        "name": g.name,
                        "dimension": dimension,
                        "category": category,
                        "slots": slots,
                        "people": counts.people[category],
                    }
                )
    columns = ("scope", "key", "name", "dimension", "category", "slots", "people")
    return csv_response(f"speakers-{event.slug}.csv", columns, rows)


def _lines(event: Event, sessions: Sequence[PanelSession]) -> list[SessionLine]:
    return [
        SessionLine(
            id=x.id,
            title=x.title,
            track=x.track_key,
            track_name=x.track_name,
            high_level=x.high_level,
            type=x.type_key,
            start_utc=iso_utc(x.start_utc),
            start_event=iso_local(x.start_utc, event.timezone),
            speakers=len(x.speakers),
            moderators=len(x.moderator_ids),
            stakeholder_groups=sorted({s.stakeholder_group for s in x.panel}),
        )
        for x in sessions
    ]


def _session_list(call: Call, event: Event, found: Sequence[PanelSession], name: str) -> Any:
    lines = _lines(event, found)
    if not wants_csv(call):
        return SessionList(event=event.slug, total=len(lines), sessions=lines)
    columns = list(SessionLine.model_fields)
    rows = [
        line.model_dump() | {"stakeholder_groups": ";".join(line.stakeholder_groups)}
        for line in lines
    ]
    return csv_response(f"{name}-{event.slug}.csv", columns, rows)


@routes.get("/api/v1/reports/sessions-without-women")
@endpoint(
    summary="Sessions with speakers but no woman speaker, High-Level Track first",
    tag="reports",
    auth="organiser",
    query=ReportQuery,
    response=SessionList,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
)
async def sessions_without_women(call: Call) -> Any:
    event, sessions = await _load(call)
    return _session_list(call, event, without_woman_speaker(sessions), "sessions-without-women")


@routes.get("/api/v1/reports/sessions-without-moderator")
@endpoint(
    summary="Sessions without a moderator, High-Level Track first",
    tag="reports",
    auth="organiser",
    query=ReportQuery,
    response=SessionList,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
)
async def sessions_without_moderator(call: Call) -> Any:
    event, sessions = await _load(call)
    return _session_list(call, event, without_moderator(sessions), "sessions-without-moderator")


@routes.get("/api/v1/reports/tags")
@endpoint(
    summary="Share of sessions per WSIS Action Line and per SDG",
    tag="reports",
    auth="organiser",
    query=ReportQuery,
    response=TagReport,
    alternative_produces=(CSV,),
    errors=(401, 403, 404, 422),
)
async def tags(call: Call) -> Any:
    event, sessions = await _load(call)
    lines, sdgs = tag_counts(sessions)
    total = len(sessions)

    def share(n: int) -> float:
        return round(n / total, 4) if total else 0.0

    report = TagReport(
        event=event.slug,
        sessions=total,
        action_lines=[
            TagShare(key=k, title=ACTION_LINE_TITLES[k], sessions=n, share=share(n))
            for k, n in lines.items()
        ],
        sdgs=[
            TagShare(key=str(k), title=SDG_TITLES[k], sessions=n, share=share(n))
            for k, n in sdgs.items()
        ],
    )
    if not wants_csv(call):
        return report
    rows = [{"dimension": "action_line", **t.model_dump()} for t in report.action_lines] + [
        {"dimension": "sdg", **t.model_dump()} for t in report.sdgs
    ]
    return csv_response(
        f"tags-{event.slug}.csv", ("dimension", "key", "title", "sessions", "share"), rows
    )
