"""Response models shared by several resources."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel


class EventOut(BaseModel):
    id: int
    slug: str
    name: str
    timezone: str
    pre_events_start: date | None
    pre_events_end: date | None
    final_start: date
    final_end: date
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    languages: list[str]


class TrackOut(BaseModel):
    id: int
    event_id: int
    slug: str
    name: str
    description: str


class SessionTypeOut(BaseModel):
    id: int
    event_id: int
    key: str
    name: str
    default_duration_min: int
    interactive: bool
    default_capacity: int | None


class RoomOut(BaseModel):
    id: int
    event_id: int
    slug: str
    name: str
    capacity: int


class PersonOut(BaseModel):
    """What organisers see; the public agenda uses ``PersonRef`` (no gender)."""

    id: int
    name: str
    organisation: str
    country: str
    stakeholder_group: str
    gender: str | None
    bio: str
    user_id: int | None


class PersonRef(BaseModel):
    id: int
    name: str
    organisation: str
    country: str
    stakeholder_group: str


class TrackRef(BaseModel):
    id: int
    slug: str
    name: str


class TypeRef(BaseModel):
    id: int
    key: str
    name: str
    interactive: bool


class RoomRef(BaseModel):
    id: int
    slug: str
    name: str


class SessionOut(BaseModel):
    id: int
    event_id: int
    title: str
    abstract: str
    track: TrackRef
    type: TypeRef
    room: RoomRef
    start_utc: str
    end_utc: str
    # In the viewer's zone (``tz=``), else the event's.
    start_local: str
    end_local: str
    tz: str
    # Always in the event's zone.
    start_event: str
    end_event: str
    event_tz: str
    duration_min: int
    state: str
    languages: list[str]
    speakers: list[PersonRef]
    moderators: list[PersonRef]
    action_lines: list[str]
    sdgs: list[int]
    capacity: int | None
    open_to_all: bool
    seats_taken: int
    waitlisted: int
    version: int
    # Panel-composition warnings (codes from server.domain.balance), e.g. "no_woman_speaker".
    warnings: list[str] = []


class UserOut(BaseModel):
    id: int
    public_id: str
    name: str
    email: str
    organisation: str
    country: str
    stakeholder_group: str
    gender: str | None
    role: str


class ConflictSession(BaseModel):
    id: int
    title: str
    start_utc: str
    end_utc: str
    room_id: int


class ConflictOut(BaseModel):
    kind: str
    message: str
    session_ids: list[int]
    sessions: list[ConflictSession]
    room_id: int | None = None
    person_id: int | None = None


class ConflictList(BaseModel):
    total: int
    conflicts: list[ConflictOut]


class Ok(BaseModel):
    ok: bool = True
