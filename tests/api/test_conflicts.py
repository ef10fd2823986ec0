"""Conflict rules through the API: 409 naming the sessions, and the conflicts report."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.appkeys import db_key
from server.db.tables import Session, SessionPerson
from tests.api.helpers import expect_error, ok_json


@pytest.fixture
async def prog(factory):
    return await factory.programme()


def kinds(error):
    return sorted(c["kind"] for c in error["details"]["conflicts"])


def named_ids(error):
    return {x["id"] for c in error["details"]["conflicts"] for x in c["sessions"]}


async def test_room_overlap_is_409_naming_the_session(factory, prog):
    existing = await factory.session(prog, title="Opening", start="2021-05-18T10:00:00")
    h = await factory.organiser_headers()
    r = await factory.client.post(
        "/api/v1/sessions",
        json={
            "title": "Intruder",
            "track_id": prog["track"]["id"],
            "type_id": prog["type"]["id"],
            "room_id": prog["rooms"][0]["id"],
            "start": "2021-05-18T10:30:00",
        },
        headers=h,
    )
    error = await expect_error(r, 409, "conflict")
    assert kinds(error) == ["room_overlap"]
    conflict = error["details"]["conflicts"][0]
    assert conflict["room_id"] == prog["rooms"][0]["id"]
    opening = next(x for x in conflict["sessions"] if x["id"] == existing["id"])
    assert opening == {
        "id": existing["id"],
        "title": "Opening",
        "start_utc": "2021-05-18T08:00:00Z",
        "end_utc": "2021-05-18T09:00:00Z",
        "room_id": prog["rooms"][0]["id"],
    }
    assert "Opening" in error["message"]


@pytest.mark.parametrize("role", ["speaker_ids", "moderator_ids"])
@pytest.mark.parametrize("other_role", ["speaker_ids", "moderator_ids"])
async def test_a_person_in_two_places_is_409(factory, prog, role, other_role):
    person = prog["people"][2]["id"]
    busy = await factory.session(prog, title="Busy", **{other_role: [person]})
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "Elsewhere",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": prog["rooms"][1]["id"],
                "start": "2021-05-18T09:15:00+02:00",
                role: [person],
            },
            headers=await factory.organiser_headers(),
        ),
        409,
        "conflict",
    )
    assert kinds(error) == ["person_overlap"]
    assert error["details"]["conflicts"][0]["person_id"] == person
    assert busy["id"] in named_ids(error)


async def test_room_and_person_conflicts_are_all_reported(factory, prog):
    p = prog["people"][0]["id"]
    a = await factory.session(prog, title="A", speaker_ids=[p])
    b = await factory.session(
        prog, title="B", room_id=prog["rooms"][1]["id"], start="2021-05-18T10:30:00"
    )
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "C",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": prog["rooms"][1]["id"],
                "start": "2021-05-18T10:15:00",
                "moderator_ids": [p],
            },
            headers=await factory.organiser_headers(),
        ),
        409,
        "conflict",
    )
    assert kinds(error) == ["person_overlap", "room_overlap"]
    assert named_ids(error) >= {a["id"], b["id"]}


@pytest.mark.parametrize(
    "start",
    [
        "2021-01-10T10:00:00",  # the day before the pre-events
        "2021-05-15T10:00:00",  # between the phases (a Saturday)
        "2021-05-22T10:00:00",  # after the final week
        "2021-05-21T23:30:00",  # starts in the final week, ends after it
    ],
)
async def test_outside_the_phases_is_409(factory, prog, start):
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "Off-season",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": prog["rooms"][0]["id"],
                "start": start,
            },
            headers=await factory.organiser_headers(),
        ),
        409,
        "conflict",
    )
    assert kinds(error) == ["outside_phases"]
    assert "'Off-season' lies outside" in error["message"]


async def test_a_session_ending_at_midnight_on_the_last_day_is_inside(factory, prog):
    s = await factory.session(prog, start="2021-05-21T23:00:00", end="2021-05-22T00:00:00")
    assert s["end_event"] == "2021-05-22T00:00:00+02:00"


@pytest.mark.parametrize("end", ["2021-05-18T10:00:00", "2021-05-18T09:00:00"])
async def test_end_not_after_start_is_409(factory, prog, end):
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "Backwards",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": prog["rooms"][0]["id"],
                "start": "2021-05-18T10:00:00",
                "end": end,
            },
            headers=await factory.organiser_headers(),
        ),
        409,
        "conflict",
    )
    assert kinds(error) == ["end_before_start"]
    assert error["details"]["conflicts"][0]["sessions"][0]["title"] == "Backwards"
    assert "'Backwards' ends at or before its start" in error["message"]


async def test_back_to_back_sessions_do_not_conflict(factory, prog):
    p = prog["people"][0]["id"]
    first = await factory.session(prog, start="2021-05-18T10:00:00", speaker_ids=[p])
    second = await factory.session(prog, start="2021-05-18T11:00:00", speaker_ids=[p])
    before = await factory.session(prog, start="2021-05-18T09:00:00", moderator_ids=[p])
    assert first["end_utc"] == second["start_utc"]
    assert before["end_utc"] == first["start_utc"]


async def test_cancelled_sessions_do_not_conflict(factory, prog):
    p = prog["people"][0]["id"]
    gone = await factory.session(prog, speaker_ids=[p])
    h = await factory.organiser_headers()
    await ok_json(await factory.client.post(f"/api/v1/sessions/{gone['id']}/cancel", headers=h))
    replacement = await factory.session(prog, speaker_ids=[p])
    assert replacement["start_utc"] == gone["start_utc"]
    # A cancelled session may also be edited without being checked against the rest.
    await ok_json(
        await factory.client.patch(
            f"/api/v1/sessions/{gone['id']}", json={"title": "Cancelled: was X"}, headers=h
        )
    )


async def test_moving_into_a_conflict_is_409_and_changes_nothing(factory, prog):
    p = prog["people"][0]["id"]
    fixed = await factory.session(prog, title="Fixed", start="2021-05-18T10:00:00")
    mover = await factory.session(
        prog,
        title="Mover",
        start="2021-05-18T14:00:00",
        room_id=prog["rooms"][1]["id"],
        speaker_ids=[p],
    )
    h = await factory.organiser_headers()
    c = factory.client
    for change in (
        {"room_id": prog["rooms"][0]["id"], "start": "2021-05-18T10:30:00", "title": "Moved"},
        {"start": "2021-05-18T10:00:00", "room_id": prog["rooms"][0]["id"]},
        {"start": "2021-05-22T10:00:00"},
        {"end": "2021-05-18T13:00:00"},
    ):
        error = await expect_error(
            await c.patch(f"/api/v1/sessions/{mover['id']}", json=change, headers=h),
            409,
            "conflict",
        )
        assert mover["id"] in {i for x in error["details"]["conflicts"] for i in x["session_ids"]}
        assert await ok_json(await c.get(f"/api/v1/sessions/{mover['id']}")) == mover
    error = await expect_error(
        await c.patch(
            f"/api/v1/sessions/{mover['id']}",
            json={"room_id": prog["rooms"][0]["id"], "start": "2021-05-18T09:30:00"},
            headers=h,
        ),
        409,
        "conflict",
    )
    assert named_ids(error) == {mover["id"], fixed["id"]}
    # Moving onto a panel the person already sits on at that time.
    busy = await factory.session(
        prog, title="Busy", start="2021-05-19T10:00:00", moderator_ids=[prog["people"][1]["id"]]
    )
    error = await expect_error(
        await c.patch(
            f"/api/v1/sessions/{mover['id']}",
            json={"start": "2021-05-19T10:00:00", "moderator_ids": [prog["people"][1]["id"]]},
            headers=h,
        ),
        409,
        "conflict",
    )
    assert kinds(error) == ["person_overlap"]
    assert busy["id"] in named_ids(error)
    assert await ok_json(await c.get(f"/api/v1/sessions/{mover['id']}")) == mover
    # A move that only touches its own old slot is fine.
    moved = await ok_json(
        await c.patch(
            f"/api/v1/sessions/{mover['id']}", json={"start": "2021-05-18T14:30:00"}, headers=h
        )
    )
    assert moved["start_utc"] == "2021-05-18T12:30:00Z"


async def _insert(client, prog, title, start, end, room=0, people=()):
    """A row written straight to the database, as an import may write it (no checks)."""
    async with client.app[db_key].write() as s:
        row = Session(
            event_id=prog["event"]["id"],
            title=title,
            track_id=prog["track"]["id"],
            type_id=prog["type"]["id"],
            room_id=prog["rooms"][room]["id"],
            start_utc=start,
            end_utc=end,
            state="scheduled",
            version=1,
        )
        row.people = [
            SessionPerson(person_id=prog["people"][i]["id"], role="speaker", position=n)
            for n, i in enumerate(people)
        ]
        s.add(row)
        await s.flush()
        return row.id


def at(day, hour, minute=0):
    return datetime(2021, 5, day, hour, minute, tzinfo=UTC)


async def test_conflicts_report_lists_what_an_import_left(factory, prog):
    c = factory.client
    h = await factory.organiser_headers()
    assert await ok_json(await c.get("/api/v1/conflicts", headers=h)) == {
        "total": 0,
        "conflicts": [],
    }
    a = await _insert(c, prog, "A", at(18, 8), at(18, 9), people=[0])
    b = await _insert(c, prog, "B", at(18, 8, 30), at(18, 9, 30))  # same room as A
    d = await _insert(c, prog, "D", at(18, 8, 45), at(18, 9, 15), room=1, people=[0])  # person 0
    e = await _insert(c, prog, "E", at(25, 8), at(25, 9), room=1)  # after the final week
    f = await _insert(c, prog, "F", at(19, 9), at(19, 8), room=1)  # ends before it starts
    ok = await _insert(c, prog, "OK", at(18, 9, 30), at(18, 10))  # back to back with B
    await _insert(c, prog, "Cancelled", at(18, 8), at(18, 9))  # overlaps A, B but cancelled
    async with c.app[db_key].write() as s:
        cancelled = await s.get(Session, ok + 1)
        cancelled.state = "cancelled"

    report = await ok_json(await c.get("/api/v1/conflicts", headers=h))
    found = {(x["kind"], tuple(sorted(x["session_ids"]))) for x in report["conflicts"]}
    assert found == {
        ("room_overlap", (a, b)),
        ("person_overlap", (a, d)),
        ("outside_phases", (e,)),
        ("end_before_start", (f,)),
    }
    assert report["total"] == 4
    room = next(x for x in report["conflicts"] if x["kind"] == "room_overlap")
    assert {x["title"] for x in room["sessions"]} == {"A", "B"}
    assert room["room_id"] == prog["rooms"][0]["id"]
    person = next(x for x in report["conflicts"] if x["kind"] == "person_overlap")
    assert person["person_id"] == prog["people"][0]["id"]
    assert ok not in {i for x in report["conflicts"] for i in x["session_ids"]}


async def test_conflicts_report_is_for_organisers_only(factory, prog):
    c = factory.client
    await expect_error(await c.get("/api/v1/conflicts"), 401, "unauthorized")
    for role in ("participant", "moderator"):
        user = await factory.user(role)
        await expect_error(
            await c.get("/api/v1/conflicts", headers=user["headers"]), 403, "forbidden"
        )
