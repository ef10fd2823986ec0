"""Load the generated demo programme into a database, once (idempotent by event slug)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from server.db.engine import Database
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
from server.demo.programme import REFERENCE_FINAL_START, Programme, build_programme
from server.domain.timezones import local_to_utc, zone


@dataclass(frozen=True)
class DemoReport:
    created: bool
    event_slug: str
    sessions: int
    people: int
    rooms: int

    def __str__(self) -> str:
        verb = "loaded" if self.created else "already present"
        return (
            f"{verb}: event {self.event_slug!r}, {self.sessions} sessions, "
            f"{self.people} people, {self.rooms} rooms"
        )


def demo_final_start(year: int | None, today: date | None = None) -> date:
    """The reference dates for ``year=2021``; otherwise a final week that starts today."""
    if year == REFERENCE_FINAL_START.year:
        return REFERENCE_FINAL_START
    if year is not None:
        raise ValueError("the demo keeps its original dates only for 2021; omit the year to shift")
    return today or datetime.now(zone("Europe/Geneva")).date()


def _utc_midnight(day: date, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time.min), tz)


async def load_demo(db: Database, year: int | None = None, today: date | None = None) -> DemoReport:
    programme = build_programme(demo_final_start(year, today))
    return await load_programme(db, programme)


async def load_programme(db: Database, p: Programme) -> DemoReport:
    ev = p.event
    async with db.write() as s:
        existing = await s.scalar(select(Event).where(Event.slug == ev.slug))
        if existing is not None:
            count = len(
                (await s.scalars(select(Session.id).where(Session.event_id == existing.id))).all()
            )
            return DemoReport(False, ev.slug, count, len(p.people), len(p.rooms))
        event = Event(
            slug=ev.slug,
            name=ev.name,
            timezone=ev.timezone,
            pre_events_start=ev.pre_events_start,
            pre_events_end=ev.pre_events_end,
            final_start=ev.final_start,
            final_end=ev.final_end,
            registration_opens_at=_utc_midnight(ev.registration_opens, ev.timezone),
            registration_closes_at=local_to_utc(
                datetime.combine(ev.registration_closes, time(23, 59, 59)), ev.timezone
            ),
            languages=list(ev.languages),
        )
        s.add(event)
        await s.flush()
        tracks = {
            t.key: Track(event_id=event.id, slug=t.key, name=t.name, description=t.description)
            for t in p.tracks
        }
        types = {
            t.key: SessionType(
                event_id=event.id,
                key=t.key,
                name=t.name,
                default_duration_min=t.default_duration_min,
                interactive=t.interactive,
                default_capacity=t.default_capacity,
            )
            for t in p.session_types
        }
        rooms = {
            r.key: Room(event_id=event.id, slug=r.key, name=r.name, capacity=r.capacity)
            for r in p.rooms
        }
        s.add_all([*tracks.values(), *types.values(), *rooms.values()])
        rows = await s.execute(
            select(Person.external_key, Person.id).where(Person.external_key.is_not(None))
        )
        known: dict[str, int] = {key: pid for key, pid in rows.all()}
        people: dict[str, Person] = {}
        for person in p.people:
            ext = f"demo:{person.key}"
            if ext in known:
                continue
            people[person.key] = Person(
                name=person.name,
                organisation=person.organisation,
                country=person.country,
                stakeholder_group=person.stakeholder_group,
                gender=person.gender,
                bio=person.bio,
                external_key=ext,
            )
        s.add_all(people.values())
        await s.flush()
        person_ids = {k: v.id for k, v in people.items()} | {
            k.removeprefix("demo:"): v for k, v in known.items()
        }
        for x in p.sessions:
            row = Session(
                event_id=event.id,
                title=x.title,
                abstract=x.abstract,
                track_id=tracks[x.track_key].id,
                type_id=types[x.type_key].id,
                room_id=rooms[x.room_key].id,
                start_utc=local_to_utc(x.start_local, ev.timezone),
                end_utc=local_to_utc(x.end_local, ev.timezone),
                capacity=x.capacity,
                open_to_all=x.capacity is None,
                state="scheduled",
                version=1,
                external_key=f"demo:{ev.slug}:{x.key}",
            )
            row.tags = (
                [
                    SessionTag(kind="language", value=v, position=i)
                    for i, v in enumerate(x.languages)
                ]
                + [
                    SessionTag(kind="action_line", value=v, position=i)
                    for i, v in enumerate(x.action_lines)
                ]
                + [SessionTag(kind="sdg", value=str(v), position=i) for i, v in enumerate(x.sdgs)]
            )
            row.people = [
                SessionPerson(person_id=person_ids[k], role="speaker", position=i)
                for i, k in enumerate(x.speaker_keys)
            ] + [
                SessionPerson(person_id=person_ids[k], role="moderator", position=i)
                for i, k in enumerate(x.moderator_keys)
            ]
            s.add(row)
        await s.flush()
    return DemoReport(True, ev.slug, len(p.sessions), len(p.people), len(p.rooms))
