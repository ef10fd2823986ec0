"""Plain data of the demo programme, and the 2021 reference calendar it is laid on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from server.domain.reference import SessionTypeSpec, TrackSpec

# The reference calendar (WSIS Forum 2021). Sessions are generated on it and then
# shifted as a whole, so nothing random depends on the requested dates.
REFERENCE_FINAL_START = date(2021, 5, 17)
REFERENCE_PRE_EVENTS_START = date(2021, 1, 11)
REFERENCE_PRE_EVENTS_END = date(2021, 5, 14)
REFERENCE_REGISTRATION_OPENS = date(2021, 1, 4)
FINAL_WEEK_DAYS = 5

# Opening hours of ordinary sessions (Geneva wall clock); only the hackathon and the
# exhibitions run outside them.
DAY_OPENS = time(8)
DAY_CLOSES = time(20)


def reference_final_days() -> list[date]:
    return [REFERENCE_FINAL_START + timedelta(days=i) for i in range(FINAL_WEEK_DAYS)]


def reference_pre_event_days() -> list[date]:
    """Weekdays of the reference pre-events phase."""
    first, last = REFERENCE_PRE_EVENTS_START, REFERENCE_PRE_EVENTS_END
    days = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


@dataclass(frozen=True)
class DemoEvent:
    slug: str
    name: str
    timezone: str
    pre_events_start: date
    pre_events_end: date
    final_start: date
    final_end: date
    registration_opens: date
    registration_closes: date
    languages: tuple[str, ...]


@dataclass(frozen=True)
class DemoRoom:
    key: str
    name: str
    capacity: int


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    organisation: str
    country: str  # ISO 3166-1 alpha-2
    stakeholder_group: str
    gender: str | None
    bio: str


@dataclass(frozen=True)
class DemoSession:
    key: str
    title: str
    abstract: str
    track_key: str
    type_key: str
    room_key: str
    start_local: datetime  # naive wall-clock time in the event's zone
    end_local: datetime
    languages: tuple[str, ...]
    speaker_keys: tuple[str, ...]
    moderator_keys: tuple[str, ...]
    action_lines: tuple[str, ...]
    sdgs: tuple[int, ...]
    capacity: int | None


@dataclass(frozen=True)
class Programme:
    event: DemoEvent
    tracks: tuple[TrackSpec, ...]
    session_types: tuple[SessionTypeSpec, ...]
    rooms: tuple[DemoRoom, ...]
    people: tuple[DemoPerson, ...]
    sessions: tuple[DemoSession, ...]


ROOMS: tuple[DemoRoom, ...] = (
    DemoRoom("plenary", "Plenary", 5000),
    DemoRoom("high-level-room", "High-Level Room", 3000),
    DemoRoom("ministerial-room", "Ministerial Room", 1000),
    DemoRoom("room-a", "Room A", 1500),
    DemoRoom("room-b", "Room B", 1000),
    DemoRoom("room-c", "Room C", 1000),
    DemoRoom("room-d", "Room D", 800),
    DemoRoom("room-e", "Room E", 800),
    DemoRoom("room-f", "Room F", 600),
    DemoRoom("room-g", "Room G", 600),
    DemoRoom("room-h", "Room H", 500),
    DemoRoom("room-i", "Room I", 500),
    DemoRoom("room-j", "Room J", 300),
    DemoRoom("room-k", "Room K", 300),
    DemoRoom("room-l", "Room L", 300),
    DemoRoom("training-room-1", "Training Room 1", 100),
    DemoRoom("training-room-2", "Training Room 2", 150),
    DemoRoom("training-room-3", "Training Room 3", 200),
    DemoRoom("knowledge-cafe-1", "Knowledge Café 1", 100),
    DemoRoom("knowledge-cafe-2", "Knowledge Café 2", 100),
    DemoRoom("hackathon-lab", "Hackathon Lab", 500),
    DemoRoom("exhibition-hall", "Exhibition Hall", 2000),
)
