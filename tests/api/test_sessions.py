"""Sessions: create, read, update (move, re-panel, re-tag), cancel, delete, list."""

from __future__ import annotations

from server.appkeys import programme_changes_key
from server.db.tables import Session, SessionPerson, SessionTag, Signup, Star
from server.programme.changes import SessionChange
from tests.api.helpers import count_rows, expect_error, ok_json


async def test_session_round_trip(factory):
    c = factory.client
    h = await factory.organiser_headers()
    prog = await factory.programme()
    people = [p["id"] for p in prog["people"]]
    changes: list[SessionChange] = []

    async def heard(change: SessionChange) -> None:
        changes.append(change)

    c.app[programme_changes_key].subscribe(heard)

    created = await factory.session(
        prog,
        title="Bridging the digital divide",
        abstract="Connectivity for all.",
        start="2021-05-18T10:00:00",
        duration_min=90,
        languages=["en", "fr"],
        speaker_ids=[people[2], people[0]],
        moderator_ids=[people[1]],
        action_lines=["C3", "C11", "C2"],
        sdgs=[17, 4, 9],
        capacity=40,
    )
    assert created["title"] == "Bridging the digital divide"
    assert created["start_utc"] == "2021-05-18T08:00:00Z"
    assert created["end_utc"] == "2021-05-18T09:30:00Z"
    assert created["start_event"] == "2021-05-18T10:00:00+02:00"
    assert created["duration_min"] == 90
    assert created["state"] == "scheduled"
    assert created["languages"] == ["en", "fr"]
    assert [p["id"] for p in created["speakers"]] == [people[2], people[0]]  # panel order kept
    assert [p["id"] for p in created["moderators"]] == [people[1]]
    assert "gender" not in created["speakers"][0]  # the public view does not carry gender
    assert created["action_lines"] == ["C2", "C3", "C11"]
    assert created["sdgs"] == [4, 9, 17]
    assert created["capacity"] == 40
    assert created["open_to_all"] is False
    assert created["track"]["id"] == prog["track"]["id"]
    assert created["type"]["key"] == "thematic_workshop"
    assert created["room"]["id"] == prog["rooms"][0]["id"]
    assert created["version"] == 1

    read = await ok_json(await c.get(f"/api/v1/sessions/{created['id']}"))
    assert read == created

    # Move: a new start keeps the length; a new room; re-panel; re-tag.
    moved = await ok_json(
        await c.patch(
            f"/api/v1/sessions/{created['id']}",
            json={
                "title": "Bridging the divide",
                "start": "2021-05-19T14:00:00+02:00",
                "room_id": prog["rooms"][1]["id"],
                "speaker_ids": [people[3]],
                "moderator_ids": [],
                "action_lines": ["C7"],
                "sdgs": [],
                "languages": ["es"],
            },
            headers=h,
        )
    )
    assert moved["title"] == "Bridging the divide"
    assert moved["start_utc"] == "2021-05-19T12:00:00Z"
    assert moved["end_utc"] == "2021-05-19T13:30:00Z"
    assert moved["room"]["id"] == prog["rooms"][1]["id"]
    assert [p["id"] for p in moved["speakers"]] == [people[3]]
    assert moved["moderators"] == []
    assert moved["action_lines"] == ["C7"]
    assert moved["sdgs"] == []
    assert moved["languages"] == ["es"]
    assert moved["abstract"] == "Connectivity for all."  # left out: kept
    assert moved["version"] == 2
    assert await ok_json(await c.get(f"/api/v1/sessions/{created['id']}")) == moved
    assert await count_rows(c, SessionPerson) == 1
    assert await count_rows(c, SessionTag) == 2  # one language, one action line

    # Length and end.
    longer = await ok_json(
        await c.patch(f"/api/v1/sessions/{created['id']}", json={"duration_min": 120}, headers=h)
    )
    assert longer["end_utc"] == "2021-05-19T14:00:00Z"
    ended = await ok_json(
        await c.patch(
            f"/api/v1/sessions/{created['id']}", json={"end": "2021-05-19T15:15:00"}, headers=h
        )
    )
    assert ended["end_utc"] == "2021-05-19T13:15:00Z"

    listed = await ok_json(await c.get("/api/v1/agenda"))
    assert [x["id"] for x in listed["sessions"]] == [created["id"]]

    cancelled = await ok_json(await c.post(f"/api/v1/sessions/{created['id']}/cancel", headers=h))
    assert cancelled["state"] == "cancelled"
    assert cancelled["version"] == ended["version"] + 1
    # Cancelling twice is harmless.
    again = await ok_json(await c.post(f"/api/v1/sessions/{created['id']}/cancel", headers=h))
    assert again["version"] == cancelled["version"]

    r = await c.delete(f"/api/v1/sessions/{created['id']}", headers=h)
    assert r.status == 204
    await expect_error(await c.get(f"/api/v1/sessions/{created['id']}"), 404, "not_found")
    assert await count_rows(c, Session) == 0
    assert await count_rows(c, SessionTag) == 0
    assert await count_rows(c, SessionPerson) == 0
    assert [(x.kind, x.session_id) for x in changes] == [
        ("created", created["id"]),
        ("updated", created["id"]),
        ("updated", created["id"]),
        ("updated", created["id"]),
        ("cancelled", created["id"]),
        ("cancelled", created["id"]),
        ("deleted", created["id"]),
    ]


async def test_repanel_with_the_same_people_and_swapped_roles(factory):
    prog = await factory.programme()
    a, b = prog["people"][0]["id"], prog["people"][1]["id"]
    s = await factory.session(prog, speaker_ids=[a, b], moderator_ids=[])
    h = await factory.organiser_headers()
    same = await ok_json(
        await factory.client.patch(
            f"/api/v1/sessions/{s['id']}", json={"speaker_ids": [b, a]}, headers=h
        )
    )
    assert [p["id"] for p in same["speakers"]] == [b, a]
    swapped = await ok_json(
        await factory.client.patch(
            f"/api/v1/sessions/{s['id']}",
            json={"speaker_ids": [b], "moderator_ids": [a]},
            headers=h,
        )
    )
    assert [p["id"] for p in swapped["speakers"]] == [b]
    assert [p["id"] for p in swapped["moderators"]] == [a]
    assert await count_rows(factory.client, SessionPerson) == 2


async def test_defaults_come_from_the_session_type(factory):
    prog = await factory.programme()  # type: 60 min, capacity 2
    s = await factory.session(prog, start="2021-05-18T09:00:00")
    assert s["duration_min"] == 60
    assert s["capacity"] == 2
    assert s["open_to_all"] is False
    assert s["languages"] == ["en"]
    h = await factory.organiser_headers()
    unlimited = await ok_json(
        await factory.client.patch(
            f"/api/v1/sessions/{s['id']}", json={"capacity": None}, headers=h
        )
    )
    assert unlimited["capacity"] is None


async def test_deleting_a_session_removes_its_stars_and_signups(factory):
    prog = await factory.programme()
    s = await factory.session(prog)
    user = await factory.user()
    c = factory.client
    await ok_json(await c.post(f"/api/v1/sessions/{s['id']}/star", headers=user["headers"]))
    await ok_json(await c.post(f"/api/v1/sessions/{s['id']}/signup", headers=user["headers"]), 201)
    r = await c.delete(f"/api/v1/sessions/{s['id']}", headers=await factory.organiser_headers())
    assert r.status == 204
    assert await count_rows(c, Star) == 0
    assert await count_rows(c, Signup) == 0
    assert await ok_json(await c.get("/api/v1/me/schedule", headers=user["headers"])) == []


async def test_session_references_must_belong_to_the_event(factory):
    prog = await factory.programme()
    other_event = await factory.event(slug="other")
    h = await factory.organiser_headers()
    foreign_room = await factory.post(
        "/api/v1/rooms",
        {"event_id": other_event["id"], "slug": "elsewhere", "name": "Elsewhere", "capacity": 5},
    )
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "x",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": foreign_room["id"],
                "start": "2021-05-18T10:00:00",
            },
            headers=h,
        ),
        422,
        "unknown_reference",
    )
    assert "in this event" in error["message"]
    assert await count_rows(factory.client, Session) == 0
