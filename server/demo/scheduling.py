"""Placing drafts on a calendar: a room, a start time and a panel for each, with no
room or person in two places at once."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

from server.demo.drafting import Draft
from server.demo.model import (
    DAY_CLOSES,
    DAY_OPENS,
    ROOMS,
    DemoPerson,
    reference_final_days,
    reference_pre_event_days,
)

_LARGE_FORUM_ROOMS = tuple(f"room-{c}" for c in "abcdefghi")
_FORUM_ROOMS = tuple(f"room-{c}" for c in "abcdefghijkl")
# Candidate rooms per type; each is at least as large as the type's default capacity.
_ROOMS_FOR_TYPE: dict[str, tuple[str, ...]] = {
    "policy_statements": ("plenary",),
    "high_level_dialogue": ("high-level-room", "ministerial-room", "plenary"),
    "prize_ceremony": ("plenary",),
    "ministerial_roundtable": ("ministerial-room",),
    "action_line_facilitation": _LARGE_FORUM_ROOMS,
    "country_workshop": _FORUM_ROOMS,
    "thematic_workshop": _FORUM_ROOMS,
    "training_session": ("training-room-1", "training-room-2", "training-room-3"),
    "special_session": _LARGE_FORUM_ROOMS,
    "knowledge_cafe": ("knowledge-cafe-1", "knowledge-cafe-2"),
    "hackathon": ("hackathon-lab",),
    "exhibition": ("exhibition-hall",),
}

# Stakeholder mix of speakers by type (relative weights).
_DEFAULT_MIX: dict[str, int] = {
    "government": 3,
    "private_sector": 3,
    "academia": 2,
    "civil_society": 2,
    "international_organisation": 1,
    "other": 1,
}
_SPEAKER_MIX: dict[str, dict[str, int]] = {
    "policy_statements": {"government": 8, "international_organisation": 1, "other": 1},
    "high_level_dialogue": {
        "government": 4,
        "private_sector": 2,
        "international_organisation": 2,
        "civil_society": 1,
        "academia": 1,
    },
    "prize_ceremony": {"international_organisation": 3, "government": 2, "other": 1},
    "ministerial_roundtable": {"government": 1},
    "action_line_facilitation": {
        "international_organisation": 3,
        "government": 2,
        "private_sector": 1,
        "academia": 1,
        "civil_society": 1,
    },
    "country_workshop": {"government": 4, "private_sector": 2, "academia": 2, "civil_society": 1},
    "training_session": {
        "academia": 3,
        "international_organisation": 2,
        "private_sector": 2,
        "civil_society": 1,
    },
}
_MODERATOR_MIX: dict[str, int] = {
    "international_organisation": 3,
    "other": 2,
    "academia": 1,
    "civil_society": 1,
    "private_sector": 1,
}

# Per-person cap while drawing at random, so speaking slots spread over many people.
_SOFT_BOOKING_CAP = 4


def _overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]  # half-open [start, end)


class _Calendar:
    def __init__(self, rng: random.Random, people: Sequence[DemoPerson]) -> None:
        self.rng = rng
        self.people = list(people)
        self.by_key = {p.key: p for p in people}
        self.by_group: dict[str, list[DemoPerson]] = {}
        for person in people:
            self.by_group.setdefault(person.stakeholder_group, []).append(person)
        self.by_country: dict[str, list[DemoPerson]] = {}
        for person in people:
            self.by_country.setdefault(person.country, []).append(person)
        self.rooms: dict[str, list[tuple[datetime, datetime]]] = {r.key: [] for r in ROOMS}
        self.persons: dict[str, list[tuple[datetime, datetime]]] = {p.key: [] for p in people}

    def room_free(self, room: str, span: tuple[datetime, datetime]) -> bool:
        return not any(_overlaps(span, booked) for booked in self.rooms[room])

    def person_free(self, key: str, span: tuple[datetime, datetime]) -> bool:
        return not any(_overlaps(span, booked) for booked in self.persons[key])

    def _eligible(
        self,
        person: DemoPerson,
        gender: str | None,
        taken: Sequence[str],
        span: tuple[datetime, datetime],
        capped: bool,
    ) -> bool:
        return (
            person.key not in taken
            and (gender is None or person.gender == gender)
            and (not capped or len(self.persons[person.key]) < _SOFT_BOOKING_CAP)
            and self.person_free(person.key, span)
        )

    def pick(
        self,
        mix: dict[str, int],
        gender: str | None,
        taken: Sequence[str],
        span: tuple[datetime, datetime],
        country: str | None = None,
    ) -> str | None:
        """A free person, drawn by stakeholder mix; ``gender`` None means any."""
        if country is not None:
            locals_ = [
                p
                for p in self.by_country.get(country, [])
                if self._eligible(p, gender, taken, span, capped=True)
            ]
            if locals_ and self.rng.random() < 0.7:
                return self.rng.choice(locals_).key
        groups = list(mix)
        weights = list(mix.values())
        for _ in range(40):
            group = self.rng.choices(groups, weights=weights)[0]
            person = self.rng.choice(self.by_group[group])
            if self._eligible(person, gender, taken, span, capped=True):
                return person.key
        everyone = list(self.people)
        self.rng.shuffle(everyone)
        for person in everyone:
            if self._eligible(person, gender, taken, span, capped=False):
                return person.key
        return None

    def panel(
        self, draft: Draft, span: tuple[datetime, datetime]
    ) -> tuple[list[str], list[str]] | None:
        mix = _SPEAKER_MIX.get(draft.type_key, _DEFAULT_MIX)
        if draft.all_male:
            wanted: list[str | None] = ["man"] * draft.n_speakers
        elif draft.n_speakers >= 2:
            # One seat reserved for a woman; the rest are open to anyone.
            wanted = ["woman"] + [None] * (draft.n_speakers - 1)
        else:
            wanted = [None] * draft.n_speakers
        speakers: list[str] = []
        for gender in wanted:
            key = self.pick(mix, gender, speakers, span, draft.country)
            if key is None:
                return None
            speakers.append(key)
        self.rng.shuffle(speakers)
        moderator = self.pick(_MODERATOR_MIX, "man" if draft.all_male else None, speakers, span)
        if moderator is None:
            return None
        return speakers, [moderator]

    def book(self, room: str, span: tuple[datetime, datetime], keys: Sequence[str]) -> None:
        self.rooms[room].append(span)
        for key in keys:
            self.persons[key].append(span)


def _start_times(rng: random.Random, duration_min: int) -> list[time]:
    """Half-hour starts that keep the session within opening hours, core hours
    (09:00-17:00) three times as likely as the edges, in random order."""
    latest = DAY_CLOSES.hour * 60 - duration_min
    starts: list[time] = []
    for minute in range(DAY_OPENS.hour * 60, latest + 1, 30):
        weight = 3 if 9 * 60 <= minute <= 17 * 60 else 1
        starts += [time(minute // 60, minute % 60)] * weight
    rng.shuffle(starts)
    return list(dict.fromkeys(starts))


def _candidate_days(draft: Draft) -> list[date]:
    """The planned day first, then the rest of the phase, nearest first."""
    days = reference_final_days() if draft.phase == "final" else reference_pre_event_days()
    return sorted(days, key=lambda d: (abs((d - draft.day).days), d))


def schedule(rng: random.Random, drafts: list[Draft], people: Sequence[DemoPerson]) -> list[Draft]:
    calendar = _Calendar(rng, people)
    for draft in drafts:
        if not _place(rng, calendar, draft):
            raise RuntimeError(f"could not place demo session {draft.title!r}")
    return drafts


def _place(rng: random.Random, calendar: _Calendar, draft: Draft) -> bool:
    rooms = list(_ROOMS_FOR_TYPE[draft.type_key])
    duration = timedelta(minutes=draft.duration_min)
    days = [draft.day] if draft.fixed_start is not None else _candidate_days(draft)
    for day in days:
        if draft.fixed_start is not None:
            starts = [draft.fixed_start]
        else:
            starts = _start_times(rng, draft.duration_min)
        for start_time in starts:
            start = datetime.combine(day, start_time)
            span = (start, start + duration)
            rng.shuffle(rooms)
            for room in rooms:
                if not calendar.room_free(room, span):
                    continue
                panel = calendar.panel(draft, span)
                if panel is None:
                    continue
                speakers, moderators = panel
                calendar.book(room, span, speakers + moderators)
                draft.placed = (span[0], span[1], room)
                draft.speakers, draft.moderators = speakers, moderators
                return True
    return False
