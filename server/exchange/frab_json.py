"""The frab schedule as JSON (``schedule.json``), valid against the c3voc JSON schema."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from server.exchange.frab_model import TIMESLOT, FrabEvent, FrabPerson, FrabSchedule

SCHEMA_URL = "https://c3voc.de/schedule/schema.json"


def generator_version() -> str:
    try:
        return version("forumlive")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def _person(p: FrabPerson) -> dict[str, Any]:
    # ``name`` without ``public_name`` makes this a pretalx-style person: the schema
    # requires a person to match exactly one of the frab and pretalx shapes. The
    # fields after ``biography`` are ours; the schema allows extra person fields.
    return {
        "guid": p.guid,
        "id": p.id,
        "name": p.name,
        "biography": p.biography or None,
        "organisation": p.organisation,
        "country": p.country,
        "stakeholder_group": p.stakeholder_group,
        "role": p.role,
    }


def _event(e: FrabEvent) -> dict[str, Any]:
    return {
        "guid": e.guid,
        "id": e.id,
        "date": e.start.isoformat(),
        "start": e.start_hhmm,
        "end": e.end.isoformat(),
        "duration": e.duration,
        "room": e.room,
        "slug": e.slug,
        "url": e.url,
        "title": e.title,
        "subtitle": "",
        "track": e.track,
        "type": e.type,
        "language": e.language,
        "abstract": e.abstract,
        "description": "",
        "persons": [_person(p) for p in e.persons],
        "links": [],
        "attachments": [],
    }


def to_json(schedule: FrabSchedule) -> dict[str, Any]:
    conference: dict[str, Any] = {
        "acronym": schedule.acronym,
        "title": schedule.title,
        "start": schedule.start.isoformat(),
        "end": schedule.end.isoformat(),
        "daysCount": len(schedule.days),
        "timeslot_duration": TIMESLOT,
        "url": schedule.base_url,
        "tracks": [
            {"name": t.name, **({"slug": t.slug} if t.slug else {})} for t in schedule.tracks
        ],
        "rooms": [
            {
                "name": r.name,
                "guid": r.guid,
                "type": "online",
                "capacity": r.capacity,
                **({"slug": r.slug} if r.slug else {}),
            }
            for r in schedule.rooms
        ],
        "meta": schedule.meta,
        "days": [
            {
                "index": d.index,
                "date": d.date.isoformat(),
                "day_start": d.start.isoformat(),
                "day_end": d.end.isoformat(),
                "rooms": {room: [_event(e) for e in events] for room, events in d.rooms.items()},
            }
            for d in schedule.days
        ],
    }
    if schedule.time_zone_name:
        conference["time_zone_name"] = schedule.time_zone_name
    return {
        "$schema": SCHEMA_URL,
        "generator": {"name": "forumlive", "version": generator_version()},
        "schedule": {
            "version": schedule.version,
            "base_url": schedule.base_url,
            "conference": conference,
        },
    }
