"""The frab schedule as plain data, shared by the JSON and the XML writers.

frab, pretalx and the c3voc tooling exchange one shape: a conference, its days,
and per day and room the events (our sessions). Their validators constrain a few
strings (acronym, slugs, GUIDs); the helpers here produce values that pass both
the JSON schema and the XSD.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from server.db.tables import Session
from server.domain.timezones import utc_to_local
from server.exchange.ids import base_url, guid, join_url
from server.programme.render import Renderer

# Our own data that frab has no field for travels in conference.meta under this key;
# other tools ignore it, a forumlive import reads it back.
META_KEY = "forumlive"
META_VERSION = 1
TIMESLOT = "00:15"
# The JSON schema's pattern for ``time_zone_name`` (only such names may be written there).
_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_JSON_SLUG = re.compile(r"^[a-z0-9_-]+[a-z0-9]$")
_XML_TRACK_SLUG = re.compile(r"^[a-z][a-z0-9-]+$")


@dataclass(frozen=True)
class FrabPerson:
    id: int
    guid: str
    name: str
    biography: str
    organisation: str
    country: str
    stakeholder_group: str
    role: str  # speaker | moderator


@dataclass(frozen=True)
class FrabEvent:
    id: int
    guid: str
    slug: str
    title: str
    abstract: str
    start: datetime  # aware, in the event's zone
    end: datetime
    room: str
    track: str
    type: str
    language: str | None
    url: str
    persons: tuple[FrabPerson, ...]

    @property
    def start_hhmm(self) -> str:
        return self.start.strftime("%H:%M")

    @property
    def duration(self) -> str:
        minutes = int((self.end - self.start).total_seconds() // 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class FrabRoom:
    name: str
    slug: str | None
    guid: str
    capacity: int


@dataclass(frozen=True)
class FrabTrack:
    name: str
    slug: str | None  # for JSON
    xml_slug: str | None  # the XSD's stricter slug


@dataclass(frozen=True)
class FrabDay:
    index: int
    date: date
    start: datetime
    end: datetime
    rooms: dict[str, list[FrabEvent]]  # room name -> events, in room order


@dataclass(frozen=True)
class FrabSchedule:
    version: str
    title: str
    acronym: str
    start: date
    end: date
    time_zone_name: str | None
    base_url: str
    tracks: tuple[FrabTrack, ...]
    rooms: tuple[FrabRoom, ...]
    days: tuple[FrabDay, ...]
    meta: dict[str, Any] = field(default_factory=dict)


def acronym(slug: str) -> str:
    """The event slug made to fit both validators: no hyphens, at least four characters."""
    return slug.replace("-", "_").ljust(4, "_")


def slugify(text: str, limit: int = 50) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-")


def event_slug(event_acronym: str, session_id: int, title: str) -> str:
    return f"{event_acronym}-{session_id}-{slugify(title) or 'session'}"


def _version(sessions: Sequence[Session]) -> str:
    """Changes whenever any exported session changes (its id and version say so)."""
    digest = hashlib.sha256(",".join(f"{x.id}:{x.version}" for x in sessions).encode())
    return digest.hexdigest()[:12]


def _persons(view: Renderer, x: Session, public_url: str) -> tuple[FrabPerson, ...]:
    out = []
    for p in sorted(x.people, key=lambda p: (p.role != "speaker", p.position)):
        person = view.people[p.person_id]
        out.append(
            FrabPerson(
                id=person.id,
                guid=guid(public_url, "person", person.id),
                name=person.name,
                biography=person.bio,
                organisation=person.organisation,
                country=person.country,
                stakeholder_group=person.stakeholder_group,
                role=p.role,
            )
        )
    return tuple(out)


def _tags(x: Session, kind: str) -> list[str]:
    return [t.value for t in sorted(x.tags, key=lambda t: t.position) if t.kind == kind]


def _session_meta(x: Session, view: Renderer) -> dict[str, Any]:
    return {
        "type_key": view.types[x.type_id].key,
        "languages": _tags(x, "language"),
        "action_lines": _tags(x, "action_line"),
        "sdgs": [int(v) for v in _tags(x, "sdg")],
        "capacity": x.capacity,
        "open_to_all": x.open_to_all,
    }


def build_schedule(view: Renderer, sessions: Sequence[Session], public_url: str) -> FrabSchedule:
    """The frab schedule of ``sessions`` (cancelled ones are left out: they do not happen)."""
    event = view.event
    tz = event.timezone
    live = [x for x in sessions if x.state != "cancelled"]
    code = acronym(event.slug)
    room_order = sorted(view.rooms.values(), key=lambda r: r.id)
    by_day: dict[date, list[tuple[int, FrabEvent]]] = defaultdict(list)
    session_meta: dict[str, Any] = {}
    for x in sorted(live, key=lambda x: (x.start_utc, x.room_id, x.id)):
        start = utc_to_local(x.start_utc, tz)
        languages = _tags(x, "language")
        item = FrabEvent(
            id=x.id,
            guid=guid(public_url, "session", x.id),
            slug=event_slug(code, x.id, x.title),
            title=x.title,
            abstract=x.abstract,
            start=start,
            end=utc_to_local(x.end_utc, tz),
            room=view.rooms[x.room_id].name,
            track=view.tracks[x.track_id].name,
            type=view.types[x.type_id].name,
            language=languages[0] if languages else None,
            url=join_url(public_url, x.id),
            persons=_persons(view, x, public_url),
        )
        by_day[start.date()].append((x.room_id, item))
        session_meta[item.guid] = _session_meta(x, view)
    days = []
    for index, day in enumerate(sorted(by_day), start=1):
        items = [e for _, e in by_day[day]]
        rooms: dict[str, list[FrabEvent]] = {}
        for room in room_order:
            in_room = [e for room_id, e in by_day[day] if room_id == room.id]
            if in_room:  # two rooms of one name share a key, as they would on screen
                rooms.setdefault(room.name, []).extend(in_room)
        days.append(
            FrabDay(
                index=index,
                date=day,
                start=min(e.start for e in items),
                end=max(e.end for e in items),
                rooms=rooms,
            )
        )
    first = event.pre_events_start or event.final_start
    return FrabSchedule(
        version=_version(live),
        title=event.name,
        acronym=code,
        start=min([first, *(d.date for d in days)]),
        end=max([event.final_end, *(d.date for d in days)]),
        time_zone_name=tz if _ZONE_NAME.search(tz) else None,
        base_url=base_url(public_url) + "/",
        tracks=tuple(
            FrabTrack(
                name=t.name,
                slug=t.slug if _JSON_SLUG.match(t.slug) else None,
                xml_slug=t.slug if _XML_TRACK_SLUG.match(t.slug) else None,
            )
            for t in sorted(view.tracks.values(), key=lambda t: t.id)
        ),
        rooms=tuple(
            FrabRoom(
                name=r.name,
                slug=r.slug if _JSON_SLUG.match(r.slug) else None,
                guid=guid(public_url, "room", r.id),
                capacity=r.capacity,
            )
            for r in room_order
        ),
        days=tuple(days),
        meta={
            META_KEY: {
                "version": META_VERSION,
                "event": {
                    "slug": event.slug,
                    "timezone": tz,
                    "pre_events_start": event.pre_events_start
                    and event.pre_events_start.isoformat(),
                    "pre_events_end": event.pre_events_end and event.pre_events_end.isoformat(),
                    "final_start": event.final_start.isoformat(),
                    "final_end": event.final_end.isoformat(),
                    "languages": list(event.languages),
                },
                "tracks": [
                    {"slug": t.slug, "name": t.name, "description": t.description}
                    for t in sorted(view.tracks.values(), key=lambda t: t.id)
                ],
                "session_types": [
                    {
                        "key": t.key,
                        "name": t.name,
                        "default_duration_min": t.default_duration_min,
                        "interactive": t.interactive,
                        "default_capacity": t.default_capacity,
                    }
                    for t in sorted(view.types.values(), key=lambda t: t.id)
                ],
                "rooms": [
                    {"slug": r.slug, "name": r.name, "capacity": r.capacity} for r in room_order
                ],
                "sessions": session_meta,
            }
        },
    )
