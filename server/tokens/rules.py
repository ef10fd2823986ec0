"""Who may join which session, when, as what: the issuing decision as a pure function.

The database part (``server.tokens.join.decide``) gathers the facts; this module
decides, so every rule is testable without I/O — including the property that a
token never outlives its session's window plus grace.

Rules (docs/tokens.md):
- a cancelled session admits no one (409 ``cancelled``); a banned person is refused
  (403 ``banned``); after ``end + grace``, or once a moderator ended it, 409 ``ended``;
- organisers join as moderators, panel members in their panel role; neither needs a
  sign-up or a seat. Anyone may ask for a lower role (a speaker watching as a
  participant); only moderators and organisers may ask for ``captioner`` (they run
  captions themselves or hand the token to their captioning provider);
- a participant needs a confirmed sign-up unless the session is open to every
  registered participant (403 ``not_registered``); a waitlisted sign-up is 409 ``full``;
- interactive sessions with a capacity count seats as confirmed sign-ups: when such a
  session is open to all, joining without a sign-up takes a seat (recorded as a
  confirmed sign-up), and 409 ``full`` when none is left;
- the window opens at lobby open (participants) or green-room open (speakers,
  moderators, captioners) — 409 ``not_open_yet`` with ``opens_at`` before that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from server.api.errors import ApiError
from server.domain.lifecycle import Leads, windows
from server.domain.timezones import iso_utc

TokenRole = Literal["participant", "speaker", "moderator", "captioner"]
TOKEN_ROLES: frozenset[str] = frozenset({"participant", "speaker", "moderator", "captioner"})
# Roles that arrive early (the green room) and, on media servers, publish.
PANEL_ROLES: frozenset[str] = frozenset({"speaker", "moderator", "captioner"})
_ALLOWED: dict[str, tuple[str, ...]] = {
    "organiser": ("moderator", "captioner", "speaker", "participant"),
    "moderator": ("moderator", "captioner", "speaker", "participant"),
    "speaker": ("speaker", "participant"),
    "participant": ("participant",),
}
REFUSAL_STATUS: dict[str, int] = {
    "not_registered": 403,
    "banned": 403,
    "role_not_allowed": 403,
    "full": 409,
    "not_open_yet": 409,
    "ended": 409,
    "cancelled": 409,
}


class JoinRefused(ApiError):
    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(REFUSAL_STATUS[code], code, message, details)


@dataclass(frozen=True)
class JoinPolicy:
    leads: Leads
    grace: timedelta

    @classmethod
    def of(cls, settings: Any) -> JoinPolicy:
        return cls(Leads.of(settings), timedelta(minutes=settings.join_grace_minutes))


@dataclass(frozen=True)
class JoinFacts:
    """What the database says about one person and one session, at one instant."""

    session_id: int
    subject: str  # users.public_id
    state: str
    start: datetime
    end: datetime
    capacity: int | None
    open_to_all: bool
    interactive: bool
    entitled: str  # role_in_session: organiser | moderator | speaker | participant
    signup: str | None  # confirmed | waitlisted | None
    banned_until: datetime | None = None
    banned: bool = False


@dataclass(frozen=True)
class Grant:
    """A yes: who, which session, which role, and the window the token is good for."""

    session_id: int
    subject: str
    role: str
    opens_at: datetime
    closes_at: datetime
    takes_seat: bool = False  # the caller must record a confirmed sign-up first

    @property
    def nbf(self) -> int:
        # Rounded inwards, so the token never reaches outside the window.
        return math.ceil(self.opens_at.timestamp())

    @property
    def exp(self) -> int:
        return math.floor(self.closes_at.timestamp())


def seats_counted(interactive: bool, capacity: int | None) -> bool:
    return interactive and capacity is not None


def signup_grants_access(open_to_all: bool, interactive: bool, capacity: int | None) -> bool:
    """Whether a participant's access rests on their sign-up (so cancelling it revokes)."""
    return not open_to_all or seats_counted(interactive, capacity)


def default_role(entitled: str) -> str:
    return "moderator" if entitled == "organiser" else entitled


def window(f: JoinFacts, role: str, policy: JoinPolicy) -> tuple[datetime, datetime]:
    w = windows(f.start, f.end, policy.leads)
    opens = w.green_room_opens if role in PANEL_ROLES else w.lobby_opens
    return opens, f.end + policy.grace


def decide(f: JoinFacts, requested: str | None, now: datetime, policy: JoinPolicy) -> Grant:
    if f.state == "cancelled":
        raise JoinRefused("cancelled", "this session has been cancelled")
    if f.banned:
        raise JoinRefused(
            "banned",
            "you have been removed from this session",
            {"until": f.banned_until and iso_utc(f.banned_until)},
        )
    role = requested or default_role(f.entitled)
    if role not in _ALLOWED.get(f.entitled, ()):
        raise JoinRefused(
            "role_not_allowed",
            f"you may not join this session as {role}",
            {"allowed": list(_ALLOWED.get(f.entitled, ()))},
        )
    opens, closes = window(f, role, policy)
    if f.state == "ended" or now >= closes:
        raise JoinRefused("ended", "this session has ended", {"closed_at": iso_utc(closes)})
    takes_seat = False
    if f.entitled == "participant" and f.signup != "confirmed":
        counted = seats_counted(f.interactive, f.capacity)
        if f.signup == "waitlisted" and (counted or not f.open_to_all):
            raise JoinRefused(
                "full",
                "the session is full; you are on the waitlist",
                {"capacity": f.capacity, "waitlisted": True},
            )
        if not f.open_to_all:
            raise JoinRefused(
                "not_registered", "sign up to this session first", {"signup_required": True}
            )
        takes_seat = counted
    if now < opens:
        raise JoinRefused(
            "not_open_yet",
            "the doors are not open yet",
            {"opens_at": iso_utc(opens), "role": role},
        )
    return Grant(f.session_id, f.subject, role, opens, closes, takes_seat)
