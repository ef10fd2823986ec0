"""schedule.json and schedule.xml of the full demo programme, checked by the shared validators."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import xmlschema

from server.demo.programme import REFERENCE_FINAL_START, build_programme

PROGRAMME = build_programme(REFERENCE_FINAL_START)
GENEVA = ZoneInfo("Europe/Zurich")  # Europe/Geneva is an alias of it
VALIDATORS = Path("/work/shared/validators/frab")
if not VALIDATORS.is_dir():  # the repository may sit elsewhere; the validators sit beside it
    VALIDATORS = Path(__file__).resolve().parents[3] / "shared" / "validators" / "frab"


@pytest.fixture(scope="module")
def json_validator() -> jsonschema.Draft6Validator:
    schema = json.loads((VALIDATORS / "schema.json").read_text())
    jsonschema.Draft6Validator.check_schema(schema)
    # With the format checker, date-time and uuid strings are checked too, not only types.
    return jsonschema.Draft6Validator(
        schema, format_checker=jsonschema.Draft6Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(VALIDATORS / "schedule.xml.xsd"))


def _events(doc: dict) -> list[dict]:
    return [
        e
        for day in doc["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for e in events
    ]


async def test_schedule_json_of_the_demo_validates(client, demo, json_validator):
    r = await client.get("/api/v1/schedule.json")
    assert r.status == 200
    assert r.content_type == "application/json"
    doc = await r.json()
    errors = [f"{list(e.path)}: {e.message}" for e in json_validator.iter_errors(doc)]
    assert errors == []
    events = _events(doc)
    assert len(events) == demo.sessions
    # The schema's "uri" format needs an optional checker; check the URLs ourselves.
    for e in events:
        assert urlsplit(e["url"]).scheme == "http" and e["url"].endswith(f"/sessions/{e['id']}")
        assert uuid.UUID(e["guid"])
    conference = doc["schedule"]["conference"]
    assert conference["time_zone_name"] == "Europe/Geneva"
    assert conference["start"] == "2021-01-11" and conference["end"] == "2021-05-21"
    assert conference["daysCount"] == len(conference["days"])
    assert {t["name"] for t in conference["tracks"]} == {"High-Level Track", "Forum Track"}


async def test_schedule_xml_of_the_demo_validates(client, demo, xsd):
    r = await client.get("/api/v1/schedule.xml")
    assert r.status == 200
    assert r.content_type == "application/xml"
    body = await r.read()
    errors = [str(e) for e in xsd.iter_errors(body.decode())]
    assert errors == []
    root = ElementTree.fromstring(body)
    assert len(root.findall("./day/room/event")) == demo.sessions
    assert root.findtext("./conference/time_zone_name") == "Europe/Geneva"


async def test_json_and_xml_agree_and_guids_are_stable(client, demo):
    doc = await (await client.get("/api/v1/schedule.json")).json()
    again = await (await client.get("/api/v1/schedule.json")).json()
    assert doc == again
    xml = ElementTree.fromstring(await (await client.get("/api/v1/schedule.xml")).read())
    from_json = {e["guid"]: (e["id"], e["date"], e["duration"], e["room"]) for e in _events(doc)}
    from_xml = {
        e.get("guid"): (
            int(e.get("id")),
            e.findtext("date"),
            e.findtext("duration"),
            e.findtext("room"),
        )
        for e in xml.findall("./day/room/event")
    }
    assert from_json == from_xml


async def test_every_demo_session_is_exported_at_its_geneva_time(client, demo):
    doc = await (await client.get("/api/v1/schedule.json")).json()
    exported = sorted((e["title"], e["date"], e["end"], e["room"]) for e in _events(doc))
    rooms = {r.key: r.name for r in PROGRAMME.rooms}
    expected = sorted(
        (
            x.title,
            x.start_local.replace(tzinfo=GENEVA).isoformat(),
            x.end_local.replace(tzinfo=GENEVA).isoformat(),
            rooms[x.room_key],
        )
        for x in PROGRAMME.sessions
    )
    assert exported == expected


async def test_a_change_shows_in_the_schedule_and_cancelled_sessions_leave_it(client, factory):
    prog = await factory.programme()
    keep = await factory.session(prog, title="Stays", start="2021-05-18T10:00:00")
    drop = await factory.session(prog, title="Goes", start="2021-05-18T12:00:00")
    headers = await factory.organiser_headers()
    before = await (await client.get("/api/v1/schedule.json")).json()
    guids = {e["title"]: e["guid"] for e in _events(before)}
    assert set(guids) == {"Stays", "Goes"}

    r = await client.post(f"/api/v1/sessions/{drop['id']}/cancel", headers=headers)
    assert r.status == 200
    r = await client.patch(
        f"/api/v1/sessions/{keep['id']}", json={"start": "2021-05-18T15:00:00"}, headers=headers
    )
    assert r.status == 200
    after = await (await client.get("/api/v1/schedule.json")).json()
    events = _events(after)
    assert [e["title"] for e in events] == ["Stays"]
    assert events[0]["guid"] == guids["Stays"]
    assert events[0]["date"] == "2021-05-18T15:00:00+02:00"
    assert events[0]["start"] == "15:00" and events[0]["duration"] == "01:00"
    assert after["schedule"]["version"] != before["schedule"]["version"]


async def test_unknown_event_is_a_json_404(client, demo):
    r = await client.get("/api/v1/schedule.xml", params={"event": "nope"})
    assert r.status == 404
    assert (await r.json())["error"]["code"] == "not_found"
