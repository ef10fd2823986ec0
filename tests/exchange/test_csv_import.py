"""CSV import through the API: every bad row reported, all or nothing, conflicts listed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from server.appkeys import settings_key
from server.db.tables import Person, Session
from server.exchange import csv_import
from tests.api.helpers import count_rows, expect_error

COLUMNS = [
    "key",
    "title",
    "track",
    "type",
    "room",
    "date",
    "start",
    "end",
    "duration_min",
    "languages",
    "action_lines",
    "sdgs",
    "capacity",
    "speakers",
    "moderators",
]

GOOD = [
    {
        "key": "w1",
        "title": "Water data for all",
        "track": "forum",
        "type": "thematic_workshop",
        "room": "room-1",
        "date": "2021-05-18",
        "start": "10:00",
        "end": "11:30",
        "languages": "en;fr",
        "action_lines": "C7;c3",
        "sdgs": "6;9",
        "capacity": "40",
        # An existing person (name + organisation) and a new one with all five parts.
        "speakers": "Speaker 0 | ITU; Amina Diallo | Sahel Digital | SN | civil_society | woman",
        "moderators": "Speaker 1|ITU",
    },
    {
        "key": "w2",
        "title": "Schools online",
        "track": "Forum Track",  # by name, any case
        "type": "Thematic workshop",
        "room": "Room 2",
        "date": "2021-05-18",
        "start": "10:00",
        "duration_min": "45",
        "capacity": "unlimited",
        # Created by the row above in the same import: found, not created twice.
        "speakers": "amina diallo | sahel digital",
    },
]
# Good, but in room-1 while "Water data for all" runs: imported and reported as a conflict.
OVERLAP = {
    "key": "w3",
    "title": "Overlapping",
    "track": "forum",
    "type": "thematic_workshop",
    "room": "room-1",
    "date": "2021-05-18",
    "start": "10:30",
}
BAD = [
    # row 4: no title, an unknown room
    {"title": "", "track": "forum", "type": "thematic_workshop", "room": "room-9",
     "date": "2021-05-18", "start": "12:00"},
    # row 5: 30 February, SDG 18
    {"title": "Bad date", "track": "forum", "type": "thematic_workshop", "room": "room-1",
     "date": "2021-02-30", "start": "12:00", "sdgs": "18"},
    # row 6: 25 o'clock, action line C12, a new person without country and group
    {"title": "Bad time", "track": "forum", "type": "thematic_workshop", "room": "room-1",
     "date": "2021-05-18", "start": "25:00", "action_lines": "C12",
     "speakers": "Nobody Known | Nowhere"},
    # row 7: ends before it starts, negative capacity
    {"title": "Backwards", "track": "forum", "type": "thematic_workshop", "room": "room-2",
     "date": "2021-05-19", "start": "10:00", "end": "09:00", "capacity": "-3"},
    # row 8: a new person the importer cannot create (resolved against the database)
    {"title": "Unknown person", "track": "forum", "type": "thematic_workshop", "room": "room-2",
     "date": "2021-05-20", "start": "10:00", "moderators": "Somebody | Some Org"},
]  # fmt: skip
BAD_CELLS = {
    (4, "title"),
    (4, "room"),
    (5, "date"),
    (5, "sdgs"),
    (6, "start"),
    (6, "action_lines"),
    (6, "speakers"),
    (7, "end"),
    (7, "capacity"),
    (8, "moderators"),
}


def csv_text(rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def post_csv(client, text: str, headers, **params):
    return await client.post(
        "/api/v1/import/csv",
        data=text.encode(),
        params={k: str(v).lower() for k, v in params.items()},
        headers={**headers, "Content-Type": "text/csv"},
    )


async def test_mixed_good_and_bad_rows_report_every_bad_row_and_write_nothing(client, factory):
    prog = await factory.programme()
    headers = await factory.organiser_headers()
    text = csv_text([*GOOD, *BAD])
    people_before = await count_rows(client, Person)

    for dry_run in (True, False):
        r = await post_csv(client, text, headers, dry_run=dry_run, event=prog["event"]["slug"])
        if dry_run:
            assert r.status == 200, await r.text()
            report = await r.json()
        else:
            report = (await expect_error(r, 422, "import_invalid"))["details"]
        assert report["ok"] is False and report["written"] is False
        assert report["rows"] == 7
        cells = {(e["row"], e["column"]) for e in report["errors"]}
        assert cells == BAD_CELLS, report["errors"]
        assert all(e["message"] for e in report["errors"])
        assert await count_rows(client, Session) == 0
        assert await count_rows(client, Person) == people_before
    agenda = await (await client.get("/api/v1/agenda")).json()
    assert agenda["total"] == 0


async def test_a_good_file_imports_sessions_people_and_reports_conflicts(client, factory):
    prog = await factory.programme()
    headers = await factory.organiser_headers()
    text = csv_text([*GOOD, OVERLAP])
    people_before = await count_rows(client, Person)

    r = await post_csv(client, text, headers, dry_run=True)
    dry = await r.json()
    assert r.status == 200 and dry["ok"] and not dry["written"]
    assert (dry["created"], dry["people_created"]) == (3, 1)
    assert [s["id"] for s in dry["sessions"]] == [None, None, None]
    assert await count_rows(client, Session) == 0

    r = await post_csv(client, text, headers)
    report = await r.json()
    assert r.status == 200, report
    assert report["ok"] and report["written"] and report["errors"] == []
    assert (report["created"], report["updated"], report["people_created"]) == (3, 0, 1)
    assert await count_rows(client, Person) == people_before + 1
    ids = {s["key"]: s["id"] for s in report["sessions"]}
    # w3 shares room-1 with w1; Amina Diallo speaks in w1 and w2 at once.
    found = {(c["kind"], frozenset(c["session_ids"])) for c in report["conflicts"]}
    assert found == {
        ("room_overlap", frozenset({ids["w1"], ids["w3"]})),
        ("person_overlap", frozenset({ids["w1"], ids["w2"]})),
    }
    assert sorted(c["kind"] for c in dry["conflicts"]) == ["person_overlap", "room_overlap"]
    listed = await (await client.get("/api/v1/conflicts", headers=headers)).json()
    assert listed["total"] == 2

    w1 = await (await client.get(f"/api/v1/sessions/{ids['w1']}")).json()
    assert (w1["start_utc"], w1["end_utc"]) == ("2021-05-18T08:00:00Z", "2021-05-18T09:30:00Z")
    assert w1["room"]["slug"] == "room-1" and w1["track"]["slug"] == "forum"
    assert w1["languages"] == ["en", "fr"]
    assert w1["action_lines"] == ["C3", "C7"] and w1["sdgs"] == [6, 9]
    assert w1["capacity"] == 40 and w1["open_to_all"] is False
    assert [p["name"] for p in w1["speakers"]] == ["Speaker 0", "Amina Diallo"]
    assert w1["speakers"][1]["stakeholder_group"] == "civil_society"
    assert w1["speakers"][1]["country"] == "SN"
    assert [p["name"] for p in w1["moderators"]] == ["Speaker 1"]
    w2 = await (await client.get(f"/api/v1/sessions/{ids['w2']}")).json()
    assert w2["end_utc"] == "2021-05-18T08:45:00Z"
    assert w2["capacity"] is None and w2["open_to_all"] is True
    assert w2["speakers"][0]["id"] == w1["speakers"][1]["id"]
    w3 = await (await client.get(f"/api/v1/sessions/{ids['w3']}")).json()
    assert w3["duration_min"] == prog["type"]["default_duration_min"]
    assert w3["capacity"] == prog["type"]["default_capacity"]

    # The same file again: the keys find the sessions, nothing is duplicated.
    changed = [dict(GOOD[0], title="Water data for everyone"), GOOD[1], OVERLAP]
    r = await post_csv(client, csv_text(changed), headers)
    again = await r.json()
    assert (again["created"], again["updated"], again["people_created"]) == (0, 3, 0)
    assert {s["id"] for s in again["sessions"]} == set(ids.values())
    assert await count_rows(client, Session) == 3
    w1_again = await (await client.get(f"/api/v1/sessions/{ids['w1']}")).json()
    assert w1_again["title"] == "Water data for everyone"
    assert w1_again["version"] == w1["version"] + 1


async def test_header_problems_are_reported_on_row_one(client, factory):
    await factory.programme()
    headers = await factory.organiser_headers()
    text = "title,track,type,room,date,speeker\nA,forum,thematic_workshop,room-1,2021-05-18,x\n"
    report = await (await post_csv(client, text, headers, dry_run=True)).json()
    assert {(e["row"], e["column"]) for e in report["errors"]} == {(1, "speeker"), (1, "start")}
    await expect_error(await post_csv(client, "", headers), 400, "empty_body")
    report = await (await post_csv(client, ",".join(COLUMNS) + "\r\n", headers)).json()
    assert (report["ok"], report["rows"], report["created"]) == (True, 0, 0)


async def test_import_refusals(client, factory):
    await factory.programme()
    headers = await factory.organiser_headers()
    text = csv_text(GOOD)
    r = await client.post(
        "/api/v1/import/csv", data=text, headers={**headers, "Content-Type": "application/json"}
    )
    await expect_error(r, 415, "unsupported_media_type")
    participant = await factory.user()
    await expect_error(await post_csv(client, text, participant["headers"]), 403, "forbidden")
    await expect_error(await post_csv(client, text, {}), 401, "unauthorized")
    await expect_error(await post_csv(client, text, headers, event="nope"), 404, "not_found")
    r = await client.post(
        "/api/v1/import/csv", data=b"\xff\xfe\x00", headers={**headers, "Content-Type": "text/csv"}
    )
    await expect_error(r, 400, "bad_encoding")
    client.app[settings_key].import_max_bytes = 2048
    await expect_error(await post_csv(client, text * 20, headers), 413, "payload_too_large")
    assert await count_rows(client, Session) == 0


DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def test_the_documented_column_set_is_the_parsed_one():
    text = DOC.read_text()
    documented = re.findall(r"^\| `(\w+)` \| (yes|no) \|", text, flags=re.MULTILINE)
    assert [name for name, _ in documented] == list(csv_import.COLUMNS)
    assert {name for name, required in documented if required == "yes"} == set(csv_import.REQUIRED)


async def test_the_documented_example_imports(client, factory):
    await factory.programme()  # its track, type, rooms and people are the example's
    example = re.search(r"```csv\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert example is not None
    r = await post_csv(client, example[1], await factory.organiser_headers(), dry_run=True)
    report = await r.json()
    assert report["ok"], report["errors"]
    assert (report["created"], report["people_created"]) == (2, 1)
