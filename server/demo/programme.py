"""A deterministic demo programme the size of the reference forum (WSIS Forum 2021).

Pure: no I/O, no database, no clock. Everything is drawn from one
``random.Random(seed)`` and laid out on the 2021 reference calendar; the result is
then shifted to the requested final week. So the same seed gives the same programme
for every ``final_start``, only moved in time, with the same wall-clock times (which
also means that weekdays are kept only when the shift is a whole number of weeks).

The programme is free of conflicts by construction (rooms and people are booked on a
calendar as sessions are placed), except for a handful of deliberately all-male
panels that the gender balance report is expected to flag.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from server.demo.drafting import Draft, draft_sessions
from server.demo.model import (
    FINAL_WEEK_DAYS,
    REFERENCE_FINAL_START,
    REFERENCE_PRE_EVENTS_END,
    REFERENCE_PRE_EVENTS_START,
    REFERENCE_REGISTRATION_OPENS,
    ROOMS,
    DemoEvent,
    DemoPerson,
    DemoRoom,
    DemoSession,
    Programme,
)
from server.demo.people import build_people
from server.demo.scheduling import schedule
from server.domain.reference import (
    REFERENCE_LANGUAGES,
    REFERENCE_SESSION_TYPES,
    REFERENCE_TIMEZONE,
    REFERENCE_TRACKS,
    SESSION_TYPES_BY_KEY,
    TRACK_OF_SESSION_TYPE,
)

__all__ = [
    "REFERENCE_FINAL_START",
    "DemoEvent",
    "DemoPerson",
    "DemoRoom",
    "DemoSession",
    "Programme",
    "build_programme",
]

_ROOM_ORDER: dict[str, int] = {room.key: i for i, room in enumerate(ROOMS)}


def build_programme(final_start: date = REFERENCE_FINAL_START, seed: int = 2021) -> Programme:
    """The demo programme for a final week starting on ``final_start``."""
    rng = random.Random(seed)
    people = build_people(rng)
    drafts = draft_sessions(rng)
    placed = schedule(rng, drafts, people)
    shift = final_start - REFERENCE_FINAL_START
    return Programme(
        event=_event(final_start),
        tracks=REFERENCE_TRACKS,
        session_types=REFERENCE_SESSION_TYPES,
        rooms=ROOMS,
        people=tuple(people),
        sessions=_finalise(placed, shift),
    )


def _event(final_start: date) -> DemoEvent:
    shift = final_start - REFERENCE_FINAL_START
    return DemoEvent(
        slug="wsis-forum",
        name=f"WSIS Forum {final_start.year}",
        timezone=REFERENCE_TIMEZONE,
        pre_events_start=REFERENCE_PRE_EVENTS_START + shift,
        pre_events_end=REFERENCE_PRE_EVENTS_END + shift,
        final_start=final_start,
        final_end=final_start + timedelta(days=FINAL_WEEK_DAYS - 1),
        registration_opens=REFERENCE_REGISTRATION_OPENS + shift,
        registration_closes=final_start + timedelta(days=FINAL_WEEK_DAYS - 1),
        languages=REFERENCE_LANGUAGES,
    )


def _finalise(drafts: Sequence[Draft], shift: timedelta) -> tuple[DemoSession, ...]:
    placed = []
    for draft in drafts:
        if draft.placed is None:  # schedule() raises before this can happen
            raise RuntimeError(f"unplaced demo session {draft.title!r}")
        placed.append((draft.placed, draft))
    placed.sort(key=lambda item: (item[0][0], _ROOM_ORDER[item[0][2]], item[1].title))
    sessions = []
    for index, ((start, end, room), draft) in enumerate(placed, start=1):
        spec = SESSION_TYPES_BY_KEY[draft.type_key]
        sessions.append(
            DemoSession(
                key=f"s{index:03d}",
                title=draft.title,
                abstract=draft.abstract,
                track_key=TRACK_OF_SESSION_TYPE[draft.type_key],
                type_key=draft.type_key,
                room_key=room,
                start_local=start + shift,
                end_local=end + shift,
                languages=draft.languages,
                speaker_keys=tuple(draft.speakers),
                moderator_keys=tuple(draft.moderators),
                action_lines=draft.action_lines,
                sdgs=draft.sdgs,
                capacity=spec.default_capacity,
            )
        )
    return tuple(sessions)
