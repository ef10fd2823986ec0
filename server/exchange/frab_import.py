"""Import of a frab / pretalx JSON schedule, the format ``GET /api/v1/schedule.json`` writes.

What comes back from our own export (see docs/import.md): titles, abstracts,
times, rooms (with capacity), tracks, session types, every language, WSIS
Action Lines and SDGs, capacity, open-to-all, and the panel in order, with each
person's organisation, country, stakeholder group and biography. Gender does not
travel: the schedule is public and a person's gender is not. A schedule from
another tool carries only frab's fields; its people are created with the
stakeholder group "other", its types as interactive with no seat limit.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from server.api.fields import (
    ActionLine,
    Capacity,
    Country,
    LanguageCode,
    LongText,
    Name,
    Sdg,
    StakeholderGroup,
    Title,
)
from server.exchange.frab_model import META_KEY, slugify
from server.exchange.plan import (
    Catalogue,
    Checker,
    ImportPlan,
    PersonSpec,
    RoomSpec,
    SessionSpec,
    TrackSpec,
    TypeSpec,
)

DEFAULT_TRACK = TrackSpec(slug="programme", name="Programme")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
DEFAULT_ROOM_CAPACITY = 1000
MAX_CAPACITY = 1_000_000
MAX_MINUTES = 7 * 24 * 60
MAX_KEY = 100  # the stored key adds the format and the event id
MAX_EVENTS = 20_000

_TITLE = TypeAdapter(Title)
_LONG = TypeAdapter(LongText)
_NAME = TypeAdapter(Name)
_COUNTRY = TypeAdapter(Country)
_GROUP = TypeAdapter(StakeholderGroup)
_LANGUAGES = TypeAdapter(list[LanguageCode])
_ACTION_LINES = TypeAdapter(list[ActionLine])
_SDGS = TypeAdapter(list[Sdg])
_CAPACITY = TypeAdapter(Capacity | None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _duration(text: str) -> int | None:
    """frab's ``H:MM`` (or ``HH:MM:SS``) in minutes."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]) * 60 + int(parts[1])


def _type_key(name: str) -> str:
    return (slugify(name, 64).replace("-", "_") or "session")[:64]


def _code(given: str, name: str, fallback: str) -> str:
    """A slug or key as the file gives it when it is one of ours, else made from the name."""
    return given if _CODE.match(given) else (slugify(name, 64) or fallback)


def _count(value: Any, most: int) -> int | None:
    """A positive whole number from the file, capped so it fits our columns; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        return None
    return min(int(value), most)


def _label(text: str) -> str:
    return text[:200]  # the longest name a track, type or room may have


def _tracks(
    conference: dict[str, Any], meta: dict[str, Any], events: list[dict[str, Any]]
) -> list[TrackSpec]:
    """Our export's tracks (with descriptions), else frab's, plus any only events name."""
    listed = [_dict(t) for t in _list(meta.get("tracks"))] or [
        _dict(t) for t in _list(conference.get("tracks"))
    ]
    tracks = [
        TrackSpec(
            _code(_str(t.get("slug")), _str(t.get("name")), "track"),
            _label(_str(t.get("name"))),
            _str(t.get("description")),
        )
        for t in listed
        if _str(t.get("name"))
    ]
    named = {t.name.casefold() for t in tracks}
    for e in events:
        track = _str(e.get("track"))
        if track and track.casefold() not in named:
            tracks.append(TrackSpec(_code("", track, "track"), _label(track)))
            named.add(track.casefold())
    if any(not _str(e.get("track")) for e in events):
        tracks.append(DEFAULT_TRACK)
    return tracks


def _types(meta: dict[str, Any], events: list[dict[str, Any]]) -> list[TypeSpec]:
    """Our export's session types as they were; other types with their usual length."""
    types = [
        TypeSpec(
            key=_code(_str(t.get("key")), _str(t.get("name")), "session"),
            name=_label(_str(t.get("name"))),
            default_duration_min=_count(t.get("default_duration_min"), MAX_MINUTES) or 60,
            interactive=bool(t.get("interactive", True)),
            default_capacity=_count(t.get("default_capacity"), MAX_CAPACITY),
        )
        for t in map(_dict, _list(meta.get("session_types")))
        if _str(t.get("key")) and _str(t.get("name"))
    ]
    typed = {t.name.casefold() for t in types} | {t.key for t in types}
    lengths: dict[str, Counter[int]] = {}
    for e in events:
        name = _str(e.get("type")) or "Session"
        minutes = _duration(_str(e.get("duration")))
        lengths.setdefault(name, Counter())
        if minutes:
            lengths[name][min(minutes, MAX_MINUTES)] += 1
    for name, counter in lengths.items():
        if name.casefold() not in typed:
            usual = counter.most_common(1)[0][0] if counter else 60
            types.append(
                TypeSpec(key=_type_key(name), name=_label(name), default_duration_min=usual)
            )
            typed.add(name.casefold())
    return types


def _rooms(
    conference: dict[str, Any], meta: dict[str, Any], events: list[dict[str, Any]]
) -> list[RoomSpec]:
    capacities = {
        _str(r.get("name")).casefold(): r.get("capacity")
        for r in map(_dict, _list(meta.get("rooms")))
    }
    rooms: list[RoomSpec] = []
    seen: set[str] = set()
    entries = [_dict(r) for r in _list(conference.get("rooms"))]
    entries += [{"name": _str(e.get("room"))} for e in events]
    for r in entries:
        name = _str(r.get("name"))
        if not name or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        capacity = (
            _count(capacities.get(name.casefold()), MAX_CAPACITY)
            or _count(r.get("capacity"), MAX_CAPACITY)
            or DEFAULT_ROOM_CAPACITY
        )
        slug = _code(_str(r.get("slug")), name, "room")
        rooms.append(RoomSpec(slug=slug, name=_label(name), capacity=capacity))
    return rooms


def _person(raw: dict[str, Any], row: int, where: str, check: Checker) -> PersonSpec | None:
    name = _str(raw.get("name")) or _str(raw.get("public_name"))
    if not name:
        check.plan.error(row, where, "a person without a name")
        check.failed = True
        return None
    country = _str(raw.get("country"))
    group = _str(raw.get("stakeholder_group"))
    organisation = _str(raw.get("organisation"))
    return PersonSpec(
        name=check(_NAME, name, row, where) or "",
        organisation=(check(_NAME, organisation, row, where) or "") if organisation else "",
        country=check(_COUNTRY, country, row, where) if country else None,
        stakeholder_group=check(_GROUP, group, row, where) if group else None,
        bio=check(_LONG, _str(raw.get("biography")), row, where) or "",
    )


def _aware(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _session(e: dict[str, Any], row: int, extra: dict[str, Any], plan: ImportPlan) -> SessionSpec:
    check = Checker(plan)
    title = check(_TITLE, _str(e.get("title")), row, "title")
    abstract = _str(e.get("abstract")) or _str(e.get("description"))
    abstract = check(_LONG, abstract, row, "abstract")
    start = _aware(_str(e.get("date")))
    if start is None:
        plan.error(row, "date", f"not an ISO date-time: {e.get('date')!r}")
        check.failed = True
    end = _aware(_str(e.get("end"))) if e.get("end") else None
    minutes = _duration(_str(e.get("duration")))
    if end is None and minutes is None:
        plan.error(row, "duration", f"neither an end nor a duration (H:MM): {e.get('duration')!r}")
        check.failed = True
    if end is None and start is not None and minutes is not None:
        end = start + timedelta(minutes=minutes)
    room = _str(e.get("room"))
    if not room:
        plan.error(row, "room", "required")
        check.failed = True
    languages = _list(extra.get("languages")) or (
        [_str(e.get("language"))] if _str(e.get("language")) else ["en"]
    )
    languages = check(_LANGUAGES, languages, row, "language")
    action_lines = check(_ACTION_LINES, _list(extra.get("action_lines")), row, "action_lines")
    sdgs = check(_SDGS, _list(extra.get("sdgs")), row, "sdgs")
    capacity_set = "capacity" in extra
    capacity = check(_CAPACITY, extra.get("capacity"), row, "capacity") if capacity_set else None
    open_to_all = extra.get("open_to_all")
    speakers: list[PersonSpec] = []
    moderators: list[PersonSpec] = []
    for n, raw in enumerate(_list(e.get("persons")), start=1):
        person = _person(_dict(raw), row, f"persons[{n}]", check)
        if person is not None:
            (moderators if _dict(raw).get("role") == "moderator" else speakers).append(person)
    key = _str(e.get("guid")) or (str(e["id"]) if isinstance(e.get("id"), int) else None)
    if key is not None and len(key) > MAX_KEY:
        plan.error(row, "guid", f"longer than {MAX_KEY} characters")
        check.failed = True
    return SessionSpec(
        row=row,
        key=key,
        title=title or "",
        abstract=abstract or "",
        track=_str(e.get("track")) or DEFAULT_TRACK.slug,
        type=_str(extra.get("type_key")) or _str(e.get("type")) or "Session",
        room=room or None,
        start=start,
        end=end,
        languages=languages,
        action_lines=action_lines,
        sdgs=sdgs,
        capacity=capacity,
        capacity_set=capacity_set,
        open_to_all=open_to_all if isinstance(open_to_all, bool) else None,
        speakers=speakers,
        moderators=moderators,
        complete=not check.failed,
    )


def parse_frab(document: Any) -> ImportPlan:
    """A plan from a parsed ``schedule.json``; row numbers count events in document order."""
    plan = ImportPlan(format="frab", rows=0, lenient_people=True)
    conference = _dict(_dict(_dict(document).get("schedule")).get("conference"))
    if not conference:
        plan.error(0, "schedule.conference", "not a frab schedule: schedule.conference is missing")
        return plan
    meta = _dict(_dict(conference.get("meta")).get(META_KEY))
    extras = _dict(meta.get("sessions"))
    events: list[dict[str, Any]] = []
    for d, day in enumerate(_list(conference.get("days"))):
        rooms = _dict(_dict(day).get("rooms"))
        if not rooms and day:
            plan.error(0, f"days[{d}].rooms", "missing")
        for room_name, items in rooms.items():
            for item in _list(items):
                entry = dict(_dict(item))
                entry.setdefault("room", room_name)
                events.append(entry)
    plan.rows = len(events)
    if len(events) > MAX_EVENTS:
        plan.error(0, "days", f"too many events; at most {MAX_EVENTS} per import")
        return plan
    plan.catalogue = Catalogue(
        tracks=_tracks(conference, meta, events),
        types=_types(meta, events),
        rooms=_rooms(conference, meta, events),
    )
    keys: dict[str, int] = {}
    for row, e in enumerate(events, start=1):
        spec = _session(e, row, _dict(extras.get(_str(e.get("guid")))), plan)
        if spec.key is not None:
            if spec.key in keys:
                plan.error(row, "guid", f"guid {spec.key!r} already used by event {keys[spec.key]}")
                continue
            keys[spec.key] = row
        plan.sessions.append(spec)
    return plan
