"""A session's lifecycle as a pure function of its programme times and the clock.

``scheduled → lobby → live → ended``, plus ``cancelled``. The scheduler, the
join-token window and the moderator controls all read these rules, so a
session's state at any instant is decided in exactly one place.

States only move forward. A state the database holds that is *ahead* of the
clock (a moderator started early, or ended early) stands; one that is *behind*
the clock is caught up one step at a time, through every missed state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

State = Literal["scheduled", "lobby", "live", "ended", "cancelled"]

# The forward path; ``cancelled`` is off it and final.
PATH: tuple[State, ...] = ("scheduled", "lobby", "live", "ended")
FINAL: frozenset[str] = frozenset({"ended", "cancelled"})
_RANK = {state: i for i, state in enumerate(PATH)}


@dataclass(frozen=True)
class Leads:
    """How long before the start the doors open (everyone) and the green room opens (panel)."""

    lobby: timedelta
    green_room: timedelta

    @classmethod
    def minutes(cls, lobby: float, green_room: float) -> Leads:
        return cls(timedelta(minutes=lobby), timedelta(minutes=green_room))

    @classmethod
    def of(cls, settings: LeadSettings) -> Leads:
        return cls.minutes(settings.lobby_lead_minutes, settings.green_room_lead_minutes)


class LeadSettings(Protocol):
    """The part of ``server.settings.Settings`` these rules read (kept structural: no I/O here)."""

    @property
    def lobby_lead_minutes(self) -> float: ...

    @property
    def green_room_lead_minutes(self) -> float: ...


@dataclass(frozen=True)
class Windows:
    """The instants a session's joiners care about, all aware UTC."""

    green_room_opens: datetime  # speakers and moderators may join
    lobby_opens: datetime  # everyone may join; the state becomes ``lobby``
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Step:
    """One forward transition and the instant the programme says it is due."""

    from_state: State
    to_state: State
    due: datetime


def windows(start: datetime, end: datetime, leads: Leads) -> Windows:
    # The green room never opens after the lobby: the panel arrives first.
    lobby_opens = start - leads.lobby
    green_room_opens = min(start - leads.green_room, lobby_opens)
    return Windows(green_room_opens, lobby_opens, start, end)


def boundaries(start: datetime, end: datetime, leads: Leads) -> tuple[Step, ...]:
    """The three timed transitions of a session, in order."""
    lobby_opens = start - leads.lobby
    return (
        Step("scheduled", "lobby", lobby_opens),
        Step("lobby", "live", start),
        Step("live", "ended", max(end, start)),
    )


def state_at(
    t: datetime, start: datetime, end: datetime, leads: Leads, cancelled: bool = False
) -> State:
    """What the programme and the clock say the state is at ``t``."""
    if cancelled:
        return "cancelled"
    state: State = "scheduled"
    for step in boundaries(start, end, leads):
        if t >= step.due:
            state = step.to_state
    return state


def is_behind(current: str, target: str) -> bool:
    return current in _RANK and target in _RANK and _RANK[current] < _RANK[target]


def missed_steps(
    current: str, t: datetime, start: datetime, end: datetime, leads: Leads
) -> list[Step]:
    """The steps, in order, that take ``current`` to where the clock says it should be at ``t``.

    Empty when the session is final, cancelled, or at or ahead of the clock.
    """
    if current not in _RANK or current in FINAL:
        return []
    return [
        step
        for step in boundaries(start, end, leads)
        if _RANK[step.from_state] >= _RANK[current] and step.due <= t
    ]


def next_step(current: str, start: datetime, end: datetime, leads: Leads) -> Step | None:
    """The one transition that follows ``current``, whenever it is due (past or future)."""
    if current not in _RANK or current in FINAL:
        return None
    for step in boundaries(start, end, leads):
        if step.from_state == current:
            return step
    return None
