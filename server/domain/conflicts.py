"""Programme conflicts: pure rules over plain values, no I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from server.domain.timezones import utc_to_local


@dataclass(frozen=True)
class Slot:
    """What the rules need to know about one session."""

    session_id: int
    title: str
    room_id: int
    start_utc: datetime
    end_utc: datetime
    person_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Phases:
    zone: str
    ranges: tuple[tuple[date, date], ...]  # inclusive local date ranges


@dataclass(frozen=True)
class Conflict:
    kind: str  # room_overlap | person_overlap | outside_phases | end_before_start
    session_ids: tuple[int, ...]
    message: str
    room_id: int | None = None
    person_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "kind": self.kind,
            "session_ids": list(self.session_ids),
            "message": self.message,
        }
        if self.room_id is not None:
            out["room_id"] = self.room_id
        if self.person_id is not None:
            out["person_id"] = self.person_id
        return out


def _overlap(a: Slot, b: Slot) -> bool:
    # Half-open intervals: a session may start the minute another ends.
    return a.start_utc < b.end_utc and b.start_utc < a.end_utc


def time_range_conflict(slot: Slot) -> Conflict | None:
    if slot.end_utc <= slot.start_utc:
        return Conflict(
            "end_before_start",
            (slot.session_id,),
            f"'{slot.title}' ends at or before its start",  # a new session has no id yet
        )
    return None


def phase_conflict(slot: Slot, phases: Phases) -> Conflict | None:
    if not phases.ranges:
        return None
    start_day = utc_to_local(slot.start_utc, phases.zone).date()
    # An end exactly at midnight belongs to the day before.
    end_day = (utc_to_local(slot.end_utc, phases.zone) - timedelta(microseconds=1)).date()
    for first, last in phases.ranges:
        if first <= start_day and max(start_day, end_day) <= last:
            return None
    return Conflict(
        "outside_phases",
        (slot.session_id,),
        f"'{slot.title}' lies outside the event's pre-events and final week",
    )


def conflicts_with(candidate: Slot, others: Iterable[Slot]) -> list[Conflict]:
    """Room and person overlaps between one (new or moved) session and the rest."""
    found: list[Conflict] = []
    for other in others:
        if other.session_id == candidate.session_id or not _overlap(candidate, other):
            continue
        if other.room_id == candidate.room_id:
            found.append(
                Conflict(
                    "room_overlap",
                    (candidate.session_id, other.session_id),
                    f"room {other.room_id} already holds '{other.title}' at that time",
                    room_id=other.room_id,
                )
            )
        for person_id in sorted(candidate.person_ids & other.person_ids):
            found.append(
                Conflict(
                    "person_overlap",
                    (candidate.session_id, other.session_id),
                    f"person {person_id} is also in '{other.title}' at that time",
                    person_id=person_id,
                )
            )
    return found


def all_conflicts(slots: Sequence[Slot], phases: Phases) -> list[Conflict]:
    """Every conflict in a programme, each overlapping pair reported once."""
    found: list[Conflict] = []
    for slot in slots:
        for check in (time_range_conflict(slot), phase_conflict(slot, phases)):
            if check:
                found.append(check)
    by_room: dict[int, list[Slot]] = defaultdict(list)
    by_person: dict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        by_room[slot.room_id].append(slot)
        for person_id in slot.person_ids:
            by_person[person_id].append(slot)
    for room_id, group in sorted(by_room.items()):
        for a, b in _overlapping_pairs(group):
            found.append(
                Conflict(
                    "room_overlap",
                    (a.session_id, b.session_id),
                    f"'{a.title}' and '{b.title}' overlap in room {room_id}",
                    room_id=room_id,
                )
            )
    for person_id, group in sorted(by_person.items()):
        for a, b in _overlapping_pairs(group):
            found.append(
                Conflict(
                    "person_overlap",
                    (a.session_id, b.session_id),
                    f"person {person_id} is in '{a.title}' and '{b.title}' at once",
                    person_id=person_id,
                )
            )
    return found


def _overlapping_pairs(group: list[Slot]) -> Iterable[tuple[Slot, Slot]]:
    """Sweep by start time: O(n log n + overlaps) instead of every pair."""
    ordered = sorted(group, key=lambda s: (s.start_utc, s.session_id))
    active: list[Slot] = []
    for slot in ordered:
        active = [a for a in active if a.end_utc > slot.start_utc]
        for earlier in active:
            # Re-checked so a zero-length or inverted slot (an import's mistake, reported
            # as end_before_start) is paired exactly as ``_overlap`` would pair it.
            if _overlap(earlier, slot):
                yield earlier, slot
        active.append(slot)
