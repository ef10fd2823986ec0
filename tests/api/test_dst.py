"""Daylight saving time: Geneva moves on 28 March 2021, New York on 14 March 2021."""

from __future__ import annotations

import pytest

from tests.api.helpers import ok_json


@pytest.fixture
async def prog(factory):
    return await factory.programme()


@pytest.mark.parametrize(
    ("start", "utc"),
    [
        ("2021-03-30T14:00:00", "2021-03-30T12:00:00Z"),  # naive: Geneva wall clock, CEST
        ("2021-03-30T14:00:00+02:00", "2021-03-30T12:00:00Z"),
        ("2021-03-10T14:00:00", "2021-03-10T13:00:00Z"),  # naive: Geneva wall clock, CET
        ("2021-03-10T14:00:00+01:00", "2021-03-10T13:00:00Z"),
        ("2021-03-10T13:00:00Z", "2021-03-10T13:00:00Z"),
    ],
)
async def test_geneva_wall_clock_to_utc(factory, prog, start, utc):
    s = await factory.session(prog, start=start)
    assert s["start_utc"] == utc
    assert s["start_event"][:19] == start[:10] + "T14:00:00"


async def test_agenda_in_new_york_time(factory, prog):
    after = await factory.session(prog, title="After", start="2021-03-30T14:00:00")
    before = await factory.session(prog, title="Before", start="2021-03-10T14:00:00")
    agenda = await ok_json(
        await factory.client.get("/api/v1/agenda", params={"tz": "America/New_York"})
    )
    assert agenda["tz"] == "America/New_York"
    by_title = {x["title"]: x for x in agenda["sessions"]}
    # 10 March: Geneva CET (+1), New York EST (-5): six hours apart.
    assert by_title["Before"]["start_utc"] == "2021-03-10T13:00:00Z"
    assert by_title["Before"]["start_local"] == "2021-03-10T08:00:00-05:00"
    assert by_title["Before"]["end_local"] == "2021-03-10T09:00:00-05:00"
    assert by_title["Before"]["start_event"] == "2021-03-10T14:00:00+01:00"
    # 30 March: both zones are on summer time (+2, -4): still six hours apart.
    assert by_title["After"]["start_utc"] == "2021-03-30T12:00:00Z"
    assert by_title["After"]["start_local"] == "2021-03-30T08:00:00-04:00"
    assert by_title["After"]["start_event"] == "2021-03-30T14:00:00+02:00"
    for x in agenda["sessions"]:
        assert x["tz"] == "America/New_York"
        assert x["event_tz"] == "Europe/Geneva"
    assert [x["id"] for x in agenda["sessions"]] == [before["id"], after["id"]]
    # Between the two changes (14–27 March) the zones are five hours apart.
    gap = await factory.session(prog, title="Gap", start="2021-03-20T14:00:00")
    single = await ok_json(
        await factory.client.get(f"/api/v1/sessions/{gap['id']}", params={"tz": "America/New_York"})
    )
    assert single["start_utc"] == "2021-03-20T13:00:00Z"
    assert single["start_local"] == "2021-03-20T09:00:00-04:00"
    # Without tz the local times are the event's.
    default = await ok_json(await factory.client.get(f"/api/v1/sessions/{gap['id']}"))
    assert default["start_local"] == "2021-03-20T14:00:00+01:00"
    assert default["tz"] == "Europe/Geneva"


async def test_a_session_across_the_change_has_its_real_length(factory, prog):
    s = await factory.session(prog, start="2021-03-28T01:00:00", end="2021-03-28T04:00:00")
    assert s["start_utc"] == "2021-03-28T00:00:00Z"
    assert s["end_utc"] == "2021-03-28T02:00:00Z"
    assert s["duration_min"] == 120  # 02:00–03:00 never happened in Geneva that night
    assert s["end_local"] == "2021-03-28T04:00:00+02:00"


async def _titles(client, **params):
    agenda = await ok_json(await client.get("/api/v1/agenda", params=params))
    return [x["title"] for x in agenda["sessions"]]


async def test_day_filter_is_a_calendar_day_in_the_viewer_zone(factory, prog):
    for title, start, minutes in (
        ("S1 ends at midnight", "2021-03-27T23:30:00", 30),
        ("S2 just after midnight", "2021-03-28T00:30:00", 60),
        ("S3 late on the 28th", "2021-03-28T23:30:00", 30),
        ("S4 early on the 29th", "2021-03-29T00:30:00", 60),
    ):
        await factory.session(prog, title=title, start=start, duration_min=minutes)
    c = factory.client
    # 28 March in Geneva is 23 hours long: 27 March 23:00Z to 28 March 22:00Z.
    assert await _titles(c, day="2021-03-28") == [
        "S2 just after midnight",
        "S3 late on the 28th",
    ]
    assert await _titles(c, day="2021-03-28", tz="Europe/Geneva") == [
        "S2 just after midnight",
        "S3 late on the 28th",
    ]
    # The same calendar day in New York (EDT, -4) is 28 March 04:00Z to 29 March 04:00Z.
    assert await _titles(c, day="2021-03-28", tz="America/New_York") == [
        "S3 late on the 28th",
        "S4 early on the 29th",
    ]
    assert await _titles(c, day="2021-03-27", tz="America/New_York") == [
        "S1 ends at midnight",
        "S2 just after midnight",
    ]
    # And in UTC.
    assert await _titles(c, day="2021-03-28", tz="UTC") == [
        "S2 just after midnight",
        "S3 late on the 28th",
        "S4 early on the 29th",
    ]


async def test_day_filter_on_new_yorks_short_day(factory, prog):
    # 14 March in New York runs 05:00Z to 04:00Z the next day (23 hours).
    for title, start in (
        ("first hour", "2021-03-14T05:30:00Z"),
        ("last hour", "2021-03-15T03:00:00Z"),
        ("next day", "2021-03-15T04:30:00Z"),
        ("day before", "2021-03-14T04:00:00Z"),
    ):
        await factory.session(prog, title=title, start=start, duration_min=30)
    assert await _titles(factory.client, day="2021-03-14", tz="America/New_York") == [
        "first hour",
        "last hour",
    ]
