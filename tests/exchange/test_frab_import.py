"""frab JSON import: export -> import into an empty event round-trips; foreign schedules import.

What round-trips (docs/import.md): titles, abstracts, start and end, rooms (name,
slug, capacity), tracks (name, slug, description), session types (key, name,
default length, interactive, default capacity), every language, WSIS Action
Lines, SDGs, capacity, open-to-all, and the panel in order with each person's
name, organisation, country, stakeholder group, biography and role. Not carried:
ids, GUIDs, URLs and slugs (they name the copy), cancelled sessions (not
exported), gender (the schedule is public) and the event's own settings (the
target event keeps its own).
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from server.appkeys import db_key
from server.db.tables import Person
from tests.api.helpers import expect_error

_NAMES_THE_COPY = {"guid", "id", "url", "slug"}


def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """The document minus what identifies this copy rather than the programme."""
    conference = copy.deepcopy(doc["schedule"]["conference"])
    meta = conference.pop("meta")["forumlive"]
    meta["event"].pop("slug")
    extras = meta.pop("sessions")
    for room in conference.pop("rooms"):
        room.pop("guid")
        meta.setdefault("conference_rooms", []).append(room)
    conference.pop("acronym")
    days = conference.pop("days")
    events = []
    for day in days:
        for room, items in day["rooms"].items():
            for e in items:
                extra = extras[e["guid"]]
                events.append(
                    {k: v for k, v in e.items() if k not in _NAMES_THE_COPY}
                    | {"room_key": room, "extra": extra}
                )
    return {"conference": conference, "meta": meta, "events": events}


async def _export(client, event: str) -> dict[str, Any]:
    r = await client.get("/api/v1/schedule.json", params={"event": event})
    assert r.status == 200
    return await r.json()


async def _import(client, headers, doc, event: str, **params) -> Any:
    return await client.post(
        "/api/v1/import/frab",
        json=doc,
        params={"event": event, **{k: str(v).lower() for k, v in params.items()}},
        headers=headers,
    )


async def test_export_import_into_an_empty_event_round_trips(client, factory, demo):
    headers = await factory.organiser_headers()
    original = await _export(client, "wsis-forum")
    conflicts = await (await client.get("/api/v1/conflicts", headers=headers)).json()
    # The target event's own settings are the organiser's, not the file's: make them equal.
    await factory.event(
        slug="copy", name="WSIS Forum 2021", languages=["en", "fr", "es", "ar", "zh", "ru"]
    )

    r = await _import(client, headers, original, "copy")
    report = await r.json()
    assert r.status == 200, report
    assert report["ok"] and report["written"] and report["errors"] == []
    assert report["created"] == demo.sessions and report["updated"] == 0
    assert (report["tracks_created"], report["session_types_created"]) == (2, 12)
    assert report["rooms_created"] == demo.rooms
    assert report["people_created"] == 0  # people are global: found by name and organisation
    assert len(report["conflicts"]) == conflicts["total"]

    copied = await _export(client, "copy")
    assert _normalised(copied) == _normalised(original)

    # Importing the same file again updates the same sessions (the GUIDs are the keys).
    r = await _import(client, headers, original, "copy")
    again = await r.json()
    assert (again["created"], again["updated"]) == (0, demo.sessions)
    assert {s["id"] for s in again["sessions"]} == {s["id"] for s in report["sessions"]}
    assert _normalised(await _export(client, "copy")) == _normalised(original)


async def test_imported_people_keep_organisation_country_and_group(client, factory, demo):
    headers = await factory.organiser_headers()
    doc = await _export(client, "wsis-forum")
    expected = {}
    for day in doc["schedule"]["conference"]["days"]:
        for items in day["rooms"].values():
            for e in items:
                for p in e["persons"]:
                    p["name"] = f"{p['name']} Junior"  # nobody of that name exists yet
                    expected[(p["name"], p["organisation"])] = (
                        p["country"],
                        p["stakeholder_group"],
                    )
    await factory.event(slug="juniors")
    report = await (await _import(client, headers, doc, "juniors")).json()
    assert report["ok"] and report["people_created"] == len(expected)
    async with client.app[db_key].read() as s:
        rows = (await s.scalars(select(Person).where(Person.name.like("% Junior")))).all()
    found = {(p.name, p.organisation): (p.country, p.stakeholder_group) for p in rows}
    assert found == expected
    assert all(p.gender is None for p in rows)  # gender does not travel in a public schedule


PRETALX_LIKE = {
    "schedule": {
        "version": "0.3",
        "conference": {
            "acronym": "demo_conf",
            "title": "Another conference",
            "start": "2021-05-18",
            "end": "2021-05-18",
            "daysCount": 1,
            "timeslot_duration": "00:05",
            "days": [
                {
                    "index": 1,
                    "date": "2021-05-18",
                    "day_start": "2021-05-18T09:00:00+02:00",
                    "day_end": "2021-05-18T18:00:00+02:00",
                    "rooms": {
                        "Main Hall": [
                            {
                                "guid": "0b7bc1a3-25c8-5b13-9b2e-1a4c7f9d0001",
                                "id": 1,
                                "date": "2021-05-18T09:30:00+02:00",
                                "start": "09:30",
                                "duration": "00:45",
                                "room": "Main Hall",
                                "slug": "demo_conf-1-opening",
                                "url": "https://example.org/talk/1",
                                "title": "Opening",
                                "subtitle": "",
                                "track": "Plenary",
                                "type": "Talk",
                                "language": "fr",
                                "abstract": "Welcome.",
                                "persons": [{"id": 7, "public_name": "Jean Dupont"}],
                                "links": [],
                            },
                            {
                                "guid": "0b7bc1a3-25c8-5b13-9b2e-1a4c7f9d0002",
                                "id": 2,
                                "date": "2021-05-18T11:00:00+02:00",
                                "start": "11:00",
                                "duration": "01:30",
                                "room": "Main Hall",
                                "slug": "demo_conf-2-workshop",
                                "url": "https://example.org/talk/2",
                                "title": "Workshop",
                                "subtitle": None,
                                "track": None,
                                "type": "Workshop",
                                "language": None,
                                "abstract": None,
                                "persons": [{"name": "Ana Lima", "code": "ABC123"}],
                                "links": [],
                            },
                        ]
                    },
                }
            ],
        },
    }
}


async def test_a_schedule_from_another_tool_imports(client, factory):
    headers = await factory.organiser_headers()
    await factory.event(slug="other")
    r = await _import(client, headers, PRETALX_LIKE, "other")
    report = await r.json()
    assert r.status == 200, report
    assert (report["created"], report["people_created"], report["rooms_created"]) == (2, 2, 1)
    assert report["tracks_created"] == 2  # "Plenary", and a default for the track-less one
    agenda = await (await client.get("/api/v1/agenda", params={"event": "other"})).json()
    opening, workshop = agenda["sessions"]
    assert (opening["start_utc"], opening["end_utc"]) == (
        "2021-05-18T07:30:00Z",
        "2021-05-18T08:15:00Z",
    )
    assert opening["languages"] == ["fr"] and opening["track"]["name"] == "Plenary"
    assert opening["speakers"][0]["name"] == "Jean Dupont"
    assert opening["speakers"][0]["stakeholder_group"] == "other"
    assert workshop["type"]["name"] == "Workshop" and workshop["duration_min"] == 90
    assert workshop["languages"] == ["en"] and workshop["track"]["slug"] == "programme"


async def test_a_broken_schedule_reports_its_events_and_writes_nothing(client, factory):
    headers = await factory.organiser_headers()
    await factory.event(slug="broken")
    doc = copy.deepcopy(PRETALX_LIKE)
    events = doc["schedule"]["conference"]["days"][0]["rooms"]["Main Hall"]
    events[0]["date"] = "tomorrow"
    events[1]["duration"] = "long"
    events[1]["title"] = ""
    report = await (await _import(client, headers, doc, "broken", dry_run=True)).json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == {
        (1, "date"),
        (2, "duration"),
        (2, "title"),
    }
    error = await expect_error(await _import(client, headers, doc, "broken"), 422, "import_invalid")
    assert len(error["details"]["errors"]) == 3
    agenda = await (await client.get("/api/v1/agenda", params={"event": "broken"})).json()
    assert agenda["total"] == 0
    r = await client.post(
        "/api/v1/import/frab",
        data=b"{not json",
        params={"event": "broken"},
        headers={**headers, "Content-Type": "application/json"},
    )
    await expect_error(r, 400, "malformed_json")
    report = await (await _import(client, headers, {"hello": 1}, "broken", dry_run=True)).json()
    assert report["ok"] is False and report["errors"][0]["column"] == "schedule.conference"
