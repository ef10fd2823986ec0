"""The lifecycle rules as pure functions of the programme and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.domain.lifecycle import (
    Leads,
    Step,
    missed_steps,
    next_step,
    state_at,
    windows,
)
from server.domain.timezones import local_to_utc

LEADS = Leads.minutes(lobby=15, green_room=30)
START = datetime(2021, 5, 18, 8, 0, tzinfo=UTC)
END = START + timedelta(hours=1)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def test_state_follows_the_clock_through_every_boundary() -> None:
    assert state_at(at(-16), START, END, LEADS) == "scheduled"
    assert state_at(at(-15), START, END, LEADS) == "lobby"  # a boundary belongs to the new state
    assert state_at(at(-1), START, END, LEADS) == "lobby"
    assert state_at(at(0), START, END, LEADS) == "live"
    assert state_at(at(59), START, END, LEADS) == "live"
    assert state_at(at(60), START, END, LEADS) == "ended"
    assert state_at(at(0), START, END, LEADS, cancelled=True) == "cancelled"


def test_green_room_opens_before_the_lobby() -> None:
    w = windows(START, END, LEADS)
    assert w.green_room_opens == at(-30)
    assert w.lobby_opens == at(-15)
    # A green-room lead shorter than the lobby's still lets the panel in no later than everyone.
    w = windows(START, END, Leads.minutes(lobby=15, green_room=5))
    assert w.green_room_opens == w.lobby_opens == at(-15)


def test_missed_steps_are_every_step_from_the_current_state_in_order() -> None:
    steps = missed_steps("scheduled", at(61), START, END, LEADS)
    assert [(s.from_state, s.to_state, s.due) for s in steps] == [
        ("scheduled", "lobby", at(-15)),
        ("lobby", "live", at(0)),
        ("live", "ended", at(60)),
    ]
    assert [s.to_state for s in missed_steps("lobby", at(1), START, END, LEADS)] == ["live"]
    assert missed_steps("scheduled", at(-20), START, END, LEADS) == []


def test_a_state_ahead_of_the_clock_stands() -> None:
    # Started early by a moderator: the clock says lobby, the session is live: nothing to do.
    assert missed_steps("live", at(-5), START, END, LEADS) == []
    assert next_step("live", START, END, LEADS) == Step("live", "ended", END)
    # Ended early, or cancelled: final.
    assert missed_steps("ended", at(30), START, END, LEADS) == []
    assert missed_steps("cancelled", at(90), START, END, LEADS) == []
    assert next_step("ended", START, END, LEADS) is None
    assert next_step("cancelled", START, END, LEADS) is None


def test_no_lobby_lead_means_doors_open_at_the_start() -> None:
    leads = Leads.minutes(lobby=0, green_room=0)
    steps = missed_steps("scheduled", at(0), START, END, leads)
    assert [s.to_state for s in steps] == ["lobby", "live"]
    assert steps[0].due == steps[1].due == START


def test_dst_a_session_at_14_00_geneva_on_30_march_2021_goes_live_at_12_00_utc() -> None:
    # Geneva moved to summer time (UTC+2) on 28 March 2021.
    start = local_to_utc(datetime(2021, 3, 30, 14, 0), "Europe/Geneva")
    end = start + timedelta(hours=1)
    assert start == datetime(2021, 3, 30, 12, 0, tzinfo=UTC)
    assert state_at(datetime(2021, 3, 30, 11, 59, tzinfo=UTC), start, end, LEADS) == "lobby"
    assert state_at(datetime(2021, 3, 30, 12, 0, tzinfo=UTC), start, end, LEADS) == "live"
    assert windows(start, end, LEADS).lobby_opens == datetime(2021, 3, 30, 11, 45, tzinfo=UTC)
    # Before the change (UTC+1) the same wall-clock time is an hour later in UTC.
    winter = local_to_utc(datetime(2021, 3, 10, 14, 0), "Europe/Geneva")
    assert state_at(datetime(2021, 3, 10, 12, 50, tzinfo=UTC), winter, winter, LEADS) == "lobby"
    assert next_step("lobby", winter, winter + timedelta(hours=1), LEADS) == Step(
        "lobby", "live", datetime(2021, 3, 10, 13, 0, tzinfo=UTC)
    )
