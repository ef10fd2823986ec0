"""What an import intends to write, whatever file it came from (CSV or frab JSON).

A parser turns a file into an ``ImportPlan``: sessions that name their track,
type, room and people by reference, plus every error it found on the way. The
importer then resolves the references against the event and writes everything
in one transaction, or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError


class RowError(BaseModel):
    """One problem in the input: the row (CSV line of the spreadsheet, or the
    schedule event's number for frab), the column or field, and what is wrong."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class PersonSpec:
    """A person as an import names them; matched on name + organisation, else created."""

    name: str
    organisation: str = ""
    country: str | None = None
    stakeholder_group: str | None = None
    gender: str | None = None
    bio: str | None = None

    @property
    def match_key(self) -> tuple[str, str]:
        return (self.name.casefold(), self.organisation.casefold())


@dataclass
class SessionSpec:
    """One session of the file. A row with errors still yields a spec (``complete`` is
    False, bad values are None) so the importer can report its reference errors too."""

    row: int
    key: str | None  # the file's own stable id: a re-import updates that session
    title: str
    abstract: str
    track: str | None  # slug or name
    type: str | None  # key or name
    room: str | None  # slug or name
    start: datetime | None  # with an offset, or naive wall-clock time in the event's zone
    end: datetime | None = None
    duration_min: int | None = None
    languages: list[str] = field(default_factory=lambda: ["en"])
    action_lines: list[str] = field(default_factory=list)
    sdgs: list[int] = field(default_factory=list)
    capacity: int | None = None
    capacity_set: bool = False  # False: the session type's default
    open_to_all: bool | None = None
    speakers: list[PersonSpec] = field(default_factory=list)
    moderators: list[PersonSpec] = field(default_factory=list)
    complete: bool = True


@dataclass(frozen=True)
class TrackSpec:
    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True)
class TypeSpec:
    key: str
    name: str
    default_duration_min: int
    interactive: bool = True
    default_capacity: int | None = None


@dataclass(frozen=True)
class RoomSpec:
    slug: str
    name: str
    capacity: int


@dataclass
class Catalogue:
    """Tracks, types and rooms a schedule brings along; created when the event lacks them."""

    tracks: list[TrackSpec] = field(default_factory=list)
    types: list[TypeSpec] = field(default_factory=list)
    rooms: list[RoomSpec] = field(default_factory=list)


@dataclass
class ImportPlan:
    format: str  # csv | frab
    rows: int
    sessions: list[SessionSpec] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # None: every track, type and room must exist already (CSV); else create what is missing.
    catalogue: Catalogue | None = None
    # frab files seldom say where a person works or which stakeholder group they
    # belong to; such people are created as "other" instead of refusing the file.
    lenient_people: bool = False

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message))


class Checker:
    """Validates single values with the API's own field types, collecting errors."""

    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        self.failed = False

    def __call__(self, adapter: TypeAdapter[Any], value: Any, row: int, column: str) -> Any:
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            self.failed = True
            first = exc.errors(include_url=False)[0]
            self.plan.error(row, column, f"{first['msg']} (got {value!r})")
            return None
