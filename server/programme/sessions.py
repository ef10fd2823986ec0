"""Writing a session: fields, tags and panel in one place, then the conflict rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

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
from server.domain.conflicts import Slot
from server.domain.timezones import local_to_utc
from server.programme.conflicts import check_candidate
from server.programme.lookup import get_reference


@dataclass
class SessionFields:
    """Everything a create, a patch or an import may set; ``None`` means "keep"."""

    title: str | None = None
    abstract: str | None = None
    track_id: int | None = None
    type_id: int | None = None
    room_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    duration_min: int | None = None
    languages: list[str] | None = None
    speaker_ids: list[int] | None = None
    moderator_ids: list[int] | None = None
    action_lines: list[str] | None = None
    sdgs: list[int] | None = None
    capacity: int | None = None
    capacity_set: bool = False  # capacity may be set back to None (unlimited)
    open_to_all: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)


def to_utc(value: datetime, event: Event) -> datetime:
    """An instant with an offset stands; a wall-clock time is read in the event's zone."""
    if value.tzinfo is None:
        return local_to_utc(value, event.timezone)
    return value


def _set_tags(row: Session, kind: str, values: list[str]) -> None:
    row.tags = [t for t in row.tags if t.kind != kind] + [
        SessionTag(kind=kind, value=v, position=i) for i, v in enumerate(dict.fromkeys(values))
    ]


def _set_people(row: Session, role: str, ids: list[int]) -> None:
    row.people = [p for p in row.people if p.role != role] + [
        SessionPerson(person_id=pid, role=role, position=i)
        for i, pid in enumerate(dict.fromkeys(ids))
    ]


async def write_session(
    s: AsyncSession, event: Event, row: Session, f: SessionFields, check: bool = True
) -> Session:
    """Apply ``f`` to ``row`` (new or loaded), validate references, refuse conflicts (409)."""
    if f.track_id is not None:
        await get_reference(s, Track, f.track_id, "track_id", event.id)
        row.track_id = f.track_id
    stype: SessionType | None = None
    if f.type_id is not None:
        stype = await get_reference(s, SessionType, f.type_id, "type_id", event.id)
        row.type_id = f.type_id
    if f.room_id is not None:
        await get_reference(s, Room, f.room_id, "room_id", event.id)
        row.room_id = f.room_id
    for field_name, person_ids in (
        ("speaker_ids", f.speaker_ids),
        ("moderator_ids", f.moderator_ids),
    ):
        for person_id in person_ids or []:
            await get_reference(s, Person, person_id, field_name)
    if f.title is not None:
        row.title = f.title
    if f.abstract is not None:
        row.abstract = f.abstract
    if f.start is not None:
        old_duration = (row.end_utc - row.start_utc) if row.start_utc and row.end_utc else None
        row.start_utc = to_utc(f.start, event)
        if f.end is None and f.duration_min is None and old_duration is not None:
            row.end_utc = row.start_utc + old_duration  # a move keeps the length
    if f.end is not None:
        row.end_utc = to_utc(f.end, event)
    elif f.duration_min is not None:
        row.end_utc = row.start_utc + timedelta(minutes=f.duration_min)
    elif row.end_utc is None and row.start_utc is not None:
        stype = stype or await s.get(SessionType, row.type_id)
        assert stype is not None
        row.end_utc = row.start_utc + timedelta(minutes=stype.default_duration_min)
    if f.capacity_set:
        row.capacity = f.capacity
    elif row.id is None and stype is not None:
        row.capacity = stype.default_capacity
    if f.open_to_all is not None:
        row.open_to_all = f.open_to_all
    elif row.id is None:
        row.open_to_all = row.capacity is None
    if f.languages is not None:
        _set_tags(row, "language", f.languages)
    if f.action_lines is not None:
        _set_tags(row, "action_line", f.action_lines)
    if f.sdgs is not None:
        _set_tags(row, "sdg", [str(n) for n in f.sdgs])
    if f.speaker_ids is not None:
        _set_people(row, "speaker", f.speaker_ids)
    if f.moderator_ids is not None:
        _set_people(row, "moderator", f.moderator_ids)
    if check and row.state != "cancelled":
        await check_candidate(
            s,
            event,
            Slot(
                session_id=row.id or 0,
                title=row.title,
                room_id=row.room_id,
                start_utc=row.start_utc,
                end_utc=row.end_utc,
                person_ids=frozenset(p.person_id for p in row.people),
            ),
        )
    if row.id is None:
        s.add(row)
    else:
        row.version = (row.version or 1) + 1
    await s.flush()
    return row
