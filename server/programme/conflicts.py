"""Conflict checks against the stored programme (rules in ``server.domain.conflicts``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.errors import ApiError
from server.api.models import ConflictOut, ConflictSession
from server.db.tables import Event, Session
from server.domain.conflicts import (
    Conflict,
    Phases,
    Slot,
    all_conflicts,
    conflicts_with,
    phase_conflict,
    time_range_conflict,
)
from server.domain.timezones import iso_utc


def phases_of(event: Event) -> Phases:
    ranges = []
    if event.pre_events_start and event.pre_events_end:
        ranges.append((event.pre_events_start, event.pre_events_end))
    ranges.append((event.final_start, event.final_end))
    return Phases(zone=event.timezone, ranges=tuple(ranges))


def slot_of(x: Session) -> Slot:
    return Slot(
        session_id=x.id,
        title=x.title,
        room_id=x.room_id,
        start_utc=x.start_utc,
        end_utc=x.end_utc,
        person_ids=frozenset(p.person_id for p in x.people),
    )


async def _sessions_between(
    s: AsyncSession, event_id: int, start: datetime, end: datetime
) -> Sequence[Session]:
    return (
        await s.scalars(
            select(Session)
            .where(Session.event_id == event_id)
            .where(Session.state != "cancelled")
            .where(Session.start_utc < end)
            .where(Session.end_utc > start)
        )
    ).all()


def _describe(conflicts: Iterable[Conflict], by_id: dict[int, Session | Slot]) -> list[ConflictOut]:
    out = []
    for c in conflicts:
        sessions = []
        for sid in c.session_ids:
            x = by_id.get(sid)
            if x is None:
                continue
            start = x.start_utc
            end = x.end_utc
            title = x.title
            sessions.append(
                ConflictSession(
                    id=sid,
                    title=title,
                    start_utc=iso_utc(start),
                    end_utc=iso_utc(end),
                    room_id=x.room_id,
                )
            )
        out.append(
            ConflictOut(
                kind=c.kind,
                message=c.message,
                session_ids=list(c.session_ids),
                sessions=sessions,
                room_id=c.room_id,
                person_id=c.person_id,
            )
        )
    return out


async def check_candidate(s: AsyncSession, event: Event, candidate: Slot) -> None:
    """Raise 409 naming every session the new or moved one collides with."""
    found: list[Conflict] = []
    for rule in (time_range_conflict(candidate), phase_conflict(candidate, phases_of(event))):
        if rule:
            found.append(rule)
    by_id: dict[int, Session | Slot] = {candidate.session_id: candidate}
    if not found:
        others = await _sessions_between(s, event.id, candidate.start_utc, candidate.end_utc)
        by_id.update({o.id: o for o in others})
        found.extend(conflicts_with(candidate, [slot_of(o) for o in others]))
    if found:
        described = _describe(found, by_id)
        raise ApiError(
            409,
            "conflict",
            "; ".join(c.message for c in found[:5]),
            {"conflicts": [d.model_dump() for d in described]},
        )


async def programme_conflicts(s: AsyncSession, event: Event) -> list[ConflictOut]:
    sessions = (
        await s.scalars(
            select(Session).where(Session.event_id == event.id).where(Session.state != "cancelled")
        )
    ).all()
    found = all_conflicts([slot_of(x) for x in sessions], phases_of(event))
    return _describe(found, {x.id: x for x in sessions})
