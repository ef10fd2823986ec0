"""The pure conflict rules: half-open overlaps, phases in the event's zone, the sweep."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from server.domain.conflicts import (
    Phases,
    Slot,
    all_conflicts,
    conflicts_with,
    phase_conflict,
    time_range_conflict,
)

GENEVA_2021 = Phases(
    zone="Europe/Geneva",
    ranges=((date(2021, 1, 11), date(2021, 5, 14)), (date(2021, 5, 17), date(2021, 5, 21))),
)


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> datetime:
    return datetime(2021, month, day, hour, minute, tzinfo=UTC)


def slot(
    sid: int,
    start: datetime,
    end: datetime,
    room: int = 1,
    people: tuple[int, ...] = (),
) -> Slot:
    return Slot(sid, f"S{sid}", room, start, end, frozenset(people))


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ((8, 9), (9, 10), False),  # back to back
        ((9, 10), (8, 9), False),
        ((8, 9), (8.5, 9.5), True),
        ((8, 12), (9, 10), True),  # contains
        ((8, 9), (8, 9), True),  # identical
        ((8, 9), (10, 11), False),
    ],
)
def test_room_overlap_is_half_open(a, b, overlap):
    def t(h: float) -> datetime:
        return at(18, 0) + timedelta(hours=h)

    candidate = slot(1, t(a[0]), t(a[1]))
    other = slot(2, t(b[0]), t(b[1]))
    found = conflicts_with(candidate, [other])
    assert bool(found) is overlap
    if overlap:
        assert found[0].kind == "room_overlap"
        assert found[0].session_ids == (1, 2)
        assert found[0].room_id == 1
        assert "S2" in found[0].message


def test_person_overlap_once_per_shared_person_in_any_room():
    candidate = slot(1, at(18, 8), at(18, 9), room=1, people=(10, 11, 12))
    other = slot(2, at(18, 8, 30), at(18, 9, 30), room=2, people=(11, 12, 13))
    found = conflicts_with(candidate, [other])
    assert [(c.kind, c.person_id, c.session_ids) for c in found] == [
        ("person_overlap", 11, (1, 2)),
        ("person_overlap", 12, (1, 2)),
    ]


def test_same_room_and_same_person_are_two_conflicts():
    candidate = slot(1, at(18, 8), at(18, 9), people=(5,))
    found = conflicts_with(candidate, [slot(2, at(18, 8), at(18, 9), people=(5,))])
    assert sorted(c.kind for c in found) == ["person_overlap", "room_overlap"]


def test_a_moved_session_is_not_in_conflict_with_its_old_self():
    old = slot(7, at(18, 8), at(18, 9), people=(1,))
    moved = slot(7, at(18, 8, 30), at(18, 9, 30), people=(1,))
    assert conflicts_with(moved, [old]) == []


def test_no_shared_room_or_person_no_conflict():
    candidate = slot(1, at(18, 8), at(18, 9), room=1, people=(1,))
    assert conflicts_with(candidate, [slot(2, at(18, 8), at(18, 9), room=2, people=(2,))]) == []


@pytest.mark.parametrize(
    ("start", "end", "bad"),
    [
        (at(18, 9), at(18, 10), False),
        (at(18, 9), at(18, 9), True),
        (at(18, 9), at(18, 8), True),
    ],
)
def test_end_must_be_after_start(start, end, bad):
    found = time_range_conflict(slot(3, start, end))
    assert (found is not None) is bad
    if bad:
        assert found.kind == "end_before_start"
        assert found.session_ids == (3,)


@pytest.mark.parametrize(
    ("start", "end", "inside"),
    [
        (at(11, 8, month=1), at(11, 9, month=1), True),  # first pre-event day (09:00 CET)
        (at(10, 23, month=1), at(11, 0, month=1), True),  # 23:00 UTC is 11 Jan in Geneva
        (at(10, 22, month=1), at(10, 23, month=1), False),  # 10 Jan in Geneva (to midnight)
        (at(14, 8), at(14, 9), True),  # last pre-event day
        (at(15, 8), at(15, 9), False),  # the weekend between the phases
        (at(16, 22, 30), at(16, 23), True),  # 00:30 on 17 May in Geneva (CEST)
        (at(21, 20), at(21, 22), True),  # ends at midnight on the last day: inside
        (at(21, 20), at(21, 22, 1), False),  # one minute into 22 May
        (at(21, 22), at(21, 23), False),  # 00:00 on 22 May in Geneva
        (at(14, 20), at(17, 8), False),  # starts in one phase, ends in the next
        (at(28, 1, month=3), at(28, 2, month=3), True),  # across Geneva's DST change
    ],
)
def test_phases_are_local_dates_in_the_event_zone(start, end, inside):
    found = phase_conflict(slot(4, start, end), GENEVA_2021)
    assert (found is None) is inside
    if not inside:
        assert found.kind == "outside_phases"
        assert found.session_ids == (4,)


def test_an_event_without_phases_has_no_phase_conflicts():
    assert phase_conflict(slot(1, at(1, 0, month=1), at(2, 0, month=1)), Phases("UTC", ())) is None


def test_all_conflicts_finds_every_pair_once():
    slots = [
        slot(1, at(18, 8), at(18, 18)),  # all day in room 1
        slot(2, at(18, 9), at(18, 10)),
        slot(3, at(18, 11), at(18, 12)),
        slot(4, at(18, 17), at(18, 19)),
        slot(5, at(18, 19), at(18, 20)),  # back to back with 4
        slot(6, at(18, 9), at(18, 10), room=2, people=(7,)),
        slot(7, at(18, 9, 30), at(18, 11), room=3, people=(7,)),
        slot(8, at(25, 9), at(25, 10), room=4),  # outside the phases
        slot(9, at(19, 10), at(19, 9), room=5),  # inverted
    ]
    found = {(c.kind, c.session_ids) for c in all_conflicts(slots, GENEVA_2021)}
    assert found == {
        ("room_overlap", (1, 2)),
        ("room_overlap", (1, 3)),
        ("room_overlap", (1, 4)),
        ("person_overlap", (6, 7)),
        ("outside_phases", (8,)),
        ("end_before_start", (9,)),
    }


def _brute_force(slots: list[Slot]) -> set[tuple[str, int, int, int]]:
    found = set()
    for a, b in itertools.combinations(slots, 2):
        if not (a.start_utc < b.end_utc and b.start_utc < a.end_utc):
            continue
        pair = tuple(sorted((a.session_id, b.session_id)))
        if a.room_id == b.room_id:
            found.add(("room_overlap", a.room_id, *pair))
        for person in a.person_ids & b.person_ids:
            found.add(("person_overlap", person, *pair))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_sweep_matches_checking_every_pair(seed):
    rng = random.Random(seed)
    base = at(18, 6)
    slots = []
    for sid in range(1, 121):
        start = base + timedelta(minutes=15 * rng.randrange(0, 48))
        minutes = rng.choice([0, 15, 30, 60, 90, 240, -30])  # zero and inverted too
        slots.append(
            slot(
                sid,
                start,
                start + timedelta(minutes=minutes),
                room=rng.randrange(1, 6),
                people=tuple(rng.sample(range(1, 30), rng.randrange(0, 4))),
            )
        )
    swept = {
        (c.kind, c.room_id if c.kind == "room_overlap" else c.person_id, *sorted(c.session_ids))
        for c in all_conflicts(slots, Phases("Europe/Geneva", ()))
        if c.kind in ("room_overlap", "person_overlap")
    }
    raw = [
        c for c in all_conflicts(slots, Phases("Europe/Geneva", ())) if c.kind.endswith("overlap")
    ]
    assert len(raw) == len(swept)  # each pair reported once
    assert swept == _brute_force(slots)
    assert len(swept) > 50  # the sample has plenty of overlaps to find


def test_conflict_as_dict():
    c = conflicts_with(slot(1, at(18, 8), at(18, 9)), [slot(2, at(18, 8), at(18, 9))])[0]
    assert c.as_dict() == {
        "kind": "room_overlap",
        "session_ids": [1, 2],
        "message": c.message,
        "room_id": 1,
    }
