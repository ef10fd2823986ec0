"""Agenda filters: each one is checked against sessions it must drop, so ignoring it fails."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.helpers import expect_error, ok_json


@pytest.fixture
async def agenda(factory) -> dict[str, Any]:
    """Four sessions that differ in every filtered attribute."""
    prog = await factory.programme()
    eid = prog["event"]["id"]
    high = await factory.post(
        "/api/v1/tracks", {"event_id": eid, "slug": "high", "name": "High-Level Track"}
    )
    dialogue = await factory.post(
        "/api/v1/session-types",
        {
            "event_id": eid,
            "key": "dialogue",
            "name": "High-Level Policy Dialogue",
            "default_duration_min": 60,
            "interactive": True,
        },
    )
    amina, bjorn, chen = [
        await factory.post(
            "/api/v1/people",
            {"name": name, "country": "CH", "stakeholder_group": "government"},
        )
        for name in ("Amina Diallo", "Björn Svensson", "Chen Wei")
    ]
    room1, room2 = prog["rooms"]
    workshop, forum = prog["type"], prog["track"]
    a = await factory.session(
        prog,
        title="Digital inclusion",
        abstract="Bridging gaps",
        track_id=forum["id"],
        type_id=workshop["id"],
        room_id=room1["id"],
        start="2021-05-18T10:00:00",
        languages=["en"],
        action_lines=["C1"],
        sdgs=[4],
        speaker_ids=[amina["id"]],
    )
    b = await factory.session(
        prog,
        title="Cybersecurity",
        abstract="Trust online",
        track_id=high["id"],
        type_id=dialogue["id"],
        room_id=room2["id"],
        start="2021-05-19T10:00:00",
        languages=["fr"],
        action_lines=["C5"],
        sdgs=[9],
        speaker_ids=[bjorn["id"]],
        moderator_ids=[amina["id"]],
    )
    cc = await factory.session(
        prog,
        title="Peaceful societies",
        abstract="A zebra crossing for data",
        track_id=forum["id"],
        type_id=dialogue["id"],
        room_id=room1["id"],
        start="2021-05-20T10:00:00",
        languages=["en", "es"],
        action_lines=["C1", "C5"],
        sdgs=[16],
        speaker_ids=[chen["id"]],
    )
    d = await factory.session(
        prog,
        title="Pre-event webinar",
        track_id=high["id"],
        type_id=workshop["id"],
        room_id=room2["id"],
        start="2021-03-10T10:00:00",
        languages=["en"],
    )
    r = await factory.client.post(
        f"/api/v1/sessions/{cc['id']}/cancel", headers=await factory.organiser_headers()
    )
    assert r.status == 200
    return {
        "A": a,
        "B": b,
        "C": cc,
        "D": d,
        "high": high,
        "forum": forum,
        "dialogue": dialogue,
        "workshop": workshop,
        "room2": room2,
        "amina": amina,
    }


async def names(client, agenda, **params) -> list[str]:
    body = await ok_json(await client.get("/api/v1/agenda", params=params))
    ids = {v["id"]: k for k, v in agenda.items() if k in "ABCD"}
    assert body["total"] == len(body["sessions"]) or "limit" in params or "offset" in params
    return [ids[x["id"]] for x in body["sessions"]]


async def test_everything_in_start_order(client, agenda):
    assert await names(client, agenda) == ["D", "A", "B", "C"]


FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({"from": "2021-05-19"}, ["B", "C"]),
    ({"to": "2021-05-19"}, ["D", "A", "B"]),
    ({"from": "2021-05-19", "to": "2021-05-19"}, ["B"]),
    ({"from": "2021-03-01", "to": "2021-03-31"}, ["D"]),
    # A session still running at `from` is in; one that ended exactly then is out.
    ({"from": "2021-05-18T10:30:00"}, ["A", "B", "C"]),
    ({"from": "2021-05-18T11:00:00+02:00"}, ["B", "C"]),
    ({"to": "2021-05-18T10:00:00Z"}, ["D", "A"]),
    ({"to": "2021-05-18T08:00:00Z"}, ["D"]),
    ({"day": "2021-05-19"}, ["B"]),
    ({"day": "2021-05-21"}, []),
    ({"track": "high"}, ["D", "B"]),
    ({"type": "dialogue"}, ["B", "C"]),
    ({"room": "room-2"}, ["D", "B"]),
    ({"language": "fr"}, ["B"]),
    ({"language": "es"}, ["C"]),
    ({"language": "en"}, ["D", "A", "C"]),
    ({"action_line": "C5"}, ["B", "C"]),
    ({"action_line": "C1"}, ["A", "C"]),
    ({"sdg": "4"}, ["A"]),
    ({"sdg": "16"}, ["C"]),
    ({"speaker": "amina"}, ["A"]),  # name, any case; moderating is not speaking
    ({"speaker": "Svensson"}, ["B"]),
    ({"q": "INCLUSION"}, ["A"]),  # title
    ({"q": "zebra"}, ["C"]),  # abstract
    ({"q": "björn"}, ["B"]),  # a speaker's name
    ({"q": "%"}, []),  # wildcards are literal
    ({"q": "_"}, []),
    ({"state": "cancelled"}, ["C"]),
    ({"state": "scheduled"}, ["D", "A", "B"]),
    ({"track": "forum", "language": "en"}, ["A", "C"]),
    ({"type": "dialogue", "state": "scheduled", "sdg": "9"}, ["B"]),
]


async def test_each_filter(client, agenda):
    """One programme, every filter (built once: the table is long)."""
    wrong = []
    for params, expected in FILTERS:
        got = await names(client, agenda, **params)
        if got != expected:
            wrong.append((params, got, expected))
    assert wrong == []


async def test_filters_by_id(client, agenda):
    assert await names(client, agenda, track=str(agenda["high"]["id"])) == ["D", "B"]
    assert await names(client, agenda, type=str(agenda["dialogue"]["id"])) == ["B", "C"]
    assert await names(client, agenda, room=str(agenda["room2"]["id"])) == ["D", "B"]
    assert await names(client, agenda, speaker=str(agenda["amina"]["id"])) == ["A"]


async def test_limit_and_offset_keep_the_total(client, agenda):
    first = await ok_json(await client.get("/api/v1/agenda", params={"limit": "2"}))
    assert first["total"] == 4
    assert first["limit"] == 2 and first["offset"] == 0
    assert [x["id"] for x in first["sessions"]] == [agenda["D"]["id"], agenda["A"]["id"]]
    second = await ok_json(await client.get("/api/v1/agenda", params={"limit": "1", "offset": "2"}))
    assert second["total"] == 4
    assert [x["id"] for x in second["sessions"]] == [agenda["B"]["id"]]
    rest = await ok_json(await client.get("/api/v1/agenda", params={"offset": "3"}))
    assert [x["id"] for x in rest["sessions"]] == [agenda["C"]["id"]]
    beyond = await ok_json(await client.get("/api/v1/agenda", params={"offset": "10"}))
    assert beyond["total"] == 4 and beyond["sessions"] == []
    filtered = await ok_json(
        await client.get("/api/v1/agenda", params={"language": "en", "limit": "1"})
    )
    assert filtered["total"] == 3
    assert len(filtered["sessions"]) == 1


async def test_the_agenda_carries_the_contract_fields(client, agenda):
    body = await ok_json(await client.get("/api/v1/agenda"))
    assert body["event"]["timezone"] == "Europe/Geneva"
    for x in body["sessions"]:
        for key in (
            "id",
            "title",
            "start_utc",
            "end_utc",
            "start_local",
            "end_local",
            "state",
            "track",
            "type",
            "room",
            "languages",
            "speakers",
            "moderators",
            "action_lines",
            "sdgs",
        ):
            assert key in x, key


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"offset": "-1"},
        {"sdg": "18"},
        {"action_line": "C12"},
        {"state": "sleeping"},
        {"day": "2021-02-30"},
        {"from": "yesterday"},
        {"language": "English"},
    ],
)
async def test_bad_filter_values_are_422(factory, params):
    await factory.event()
    client = factory.client
    error = await expect_error(
        await client.get("/api/v1/agenda", params=params), 422, "validation_error"
    )
    assert error["details"][0]["location"][0] == "query"


async def test_agenda_of_another_event(factory, agenda):
    other = await factory.event(slug="wsis-2020", final_start="2020-05-17", final_end="2020-05-21")
    body = await ok_json(await factory.client.get("/api/v1/agenda", params={"event": "wsis-2020"}))
    assert body["event"]["id"] == other["id"]
    assert body["total"] == 0
    by_id = await ok_json(
        await factory.client.get("/api/v1/agenda", params={"event": str(agenda["A"]["event_id"])})
    )
    assert by_id["total"] == 4


async def test_free_text_folds_case_beyond_ascii_on_every_database(factory):
    """SQLite's own lower() folds A–Z only; PostgreSQL folds every letter. Both must match."""
    prog = await factory.programme()
    person = await factory.post(
        "/api/v1/people",
        {"name": "Çağla Öztürk", "country": "TR", "stakeholder_group": "academia"},
    )
    s = await factory.session(prog, title="L'école numérique", speaker_ids=[person["id"]])
    c = factory.client
    for params in (
        {"q": "ÉCOLE"},
        {"q": "NUMÉRIQUE"},
        {"q": "öztürk"},
        {"q": "ÇAĞLA"},
        {"speaker": "ÖZTÜRK"},
    ):
        body = await ok_json(await c.get("/api/v1/agenda", params=params))
        assert [x["id"] for x in body["sessions"]] == [s["id"]], params
    people = await ok_json(
        await c.get(
            "/api/v1/people", params={"q": "ÖZTÜRK"}, headers=await factory.organiser_headers()
        )
    )
    assert [p["id"] for p in people["items"]] == [person["id"]]


async def test_numeric_slugs_are_found_by_slug_too(factory):
    """Rooms are often numbered: ``room=101`` means the room whose slug is 101."""
    prog = await factory.programme()
    eid = prog["event"]["id"]
    room = await factory.post(
        "/api/v1/rooms", {"event_id": eid, "slug": "101", "name": "Room 101", "capacity": 50}
    )
    track = await factory.post("/api/v1/tracks", {"event_id": eid, "slug": "2021", "name": "2021"})
    inside = await factory.session(prog, room_id=room["id"], track_id=track["id"])
    await factory.session(prog)  # elsewhere
    c = factory.client
    for params in ({"room": "101"}, {"room": str(room["id"])}, {"track": "2021"}):
        body = await ok_json(await c.get("/api/v1/agenda", params=params))
        assert [x["id"] for x in body["sessions"]] == [inside["id"]], params
    numbered = await factory.event(slug="2022", final_start="2022-05-16", final_end="2022-05-20")
    body = await ok_json(await c.get("/api/v1/agenda", params={"event": "2022"}))
    assert body["event"]["id"] == numbered["id"]
