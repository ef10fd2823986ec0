"""Balance reports on the demo programme, against counts computed here from the generator."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from server.appkeys import db_key
from server.db.tables import Session
from server.demo.programme import REFERENCE_FINAL_START, build_programme
from tests.api.helpers import expect_error

PROGRAMME = build_programme(REFERENCE_FINAL_START)
PEOPLE = {p.key: p for p in PROGRAMME.people}
GENDERS = ("woman", "man", "non_binary", "other", "undeclared")
GROUPS = (
    "government",
    "private_sector",
    "civil_society",
    "academia",
    "international_organisation",
    "other",
)
TRACK_NAMES = {t.key: t.name for t in PROGRAMME.tracks}
TYPE_NAMES = {t.key: t.name for t in PROGRAMME.session_types}


def _gender(key: str) -> str:
    return PEOPLE[key].gender or "undeclared"


def expected_counts(sessions) -> dict:
    """Slots: one per speaker per session. People: each speaker once."""
    slots = [k for x in sessions for k in x.speaker_keys]
    people = set(slots)
    return {
        "sessions": len(sessions),
        "speaker_slots": len(slots),
        "speakers": len(people),
        "gender": {
            "slots": {g: Counter(map(_gender, slots))[g] for g in GENDERS},
            "people": {g: Counter(map(_gender, people))[g] for g in GENDERS},
        },
        "stakeholder_group": {
            "slots": {g: Counter(PEOPLE[k].stakeholder_group for k in slots)[g] for g in GROUPS},
            "people": {g: Counter(PEOPLE[k].stakeholder_group for k in people)[g] for g in GROUPS},
        },
    }


def _strip(group: dict) -> dict:
    return {k: v for k, v in group.items() if k not in ("key", "name")}


@pytest.fixture
async def organiser(factory) -> dict[str, str]:
    return await factory.organiser_headers()


@pytest.fixture
async def key_of(client, demo) -> dict[int, str]:
    """Database id -> the generator's session key."""
    async with client.app[db_key].read() as s:
        rows = await s.execute(select(Session.id, Session.external_key))
        return {sid: ext.rsplit(":", 1)[1] for sid, ext in rows}


async def test_speakers_by_gender_and_group_match_independent_counts(client, demo, organiser):
    r = await client.get("/api/v1/reports/speakers", headers=organiser)
    assert r.status == 200
    report = await r.json()
    assert _strip(report["overall"]) == expected_counts(PROGRAMME.sessions)

    by_track = defaultdict(list)
    by_type = defaultdict(list)
    for x in PROGRAMME.sessions:
        by_track[x.track_key].append(x)
        by_type[x.type_key].append(x)
    assert [g["key"] for g in report["by_track"]] == ["high_level", "forum"]
    for group in report["by_track"]:
        assert group["name"] == TRACK_NAMES[group["key"]]
        assert _strip(group) == expected_counts(by_track[group["key"]]), group["key"]
    assert {g["key"] for g in report["by_type"]} == set(by_type)
    for group in report["by_type"]:
        assert group["name"] == TYPE_NAMES[group["key"]]
        assert _strip(group) == expected_counts(by_type[group["key"]]), group["key"]
    # People counted once overall can appear in several tracks; slots always add up.
    assert sum(g["speaker_slots"] for g in report["by_track"]) == report["overall"]["speaker_slots"]
    assert report["overall"]["speakers"] < report["overall"]["speaker_slots"]


async def test_sessions_without_a_woman_speaker_high_level_first(client, demo, organiser, key_of):
    r = await client.get("/api/v1/reports/sessions-without-women", headers=organiser)
    report = await r.json()
    expected = {
        x.key
        for x in PROGRAMME.sessions
        if x.speaker_keys and not any(PEOPLE[k].gender == "woman" for k in x.speaker_keys)
    }
    assert len(expected) >= 10  # the generator's deliberate all-male panels at least
    lines = report["sessions"]
    assert report["total"] == len(lines) == len(expected)
    assert {key_of[line["id"]] for line in lines} == expected
    flags = [line["high_level"] for line in lines]
    assert flags == sorted(flags, reverse=True) and flags[0] is True and flags[-1] is False
    high = [line for line in lines if line["high_level"]]
    assert all(line["track"] == "high_level" for line in high)
    assert [line["start_utc"] for line in high] == sorted(line["start_utc"] for line in high)


async def test_sessions_without_moderator(client, factory, demo, organiser):
    expected = [x for x in PROGRAMME.sessions if not x.moderator_keys]
    report = await (
        await client.get("/api/v1/reports/sessions-without-moderator", headers=organiser)
    ).json()
    assert report["total"] == len(expected)

    event = await (await client.get("/api/v1/event")).json()
    track = next(
        t
        for t in await (await client.get("/api/v1/tracks", headers=organiser)).json()
        if t["slug"] == "high_level"
    )
    types = await (await client.get("/api/v1/session-types", headers=organiser)).json()
    room = await factory.post(
        "/api/v1/rooms",
        {"event_id": event["id"], "slug": "spare-room", "name": "Spare room", "capacity": 50},
    )
    lonely = await factory.post(
        "/api/v1/sessions",
        {
            "title": "Nobody moderates",
            "track_id": track["id"],
            "type_id": types[0]["id"],
            "room_id": room["id"],
            "start": "2021-05-18T10:00:00",
        },
    )
    report = await (
        await client.get("/api/v1/reports/sessions-without-moderator", headers=organiser)
    ).json()
    assert report["total"] == len(expected) + 1
    assert report["sessions"][0]["id"] == lonely["id"]  # High-Level Track first
    assert report["sessions"][0]["moderators"] == 0
    await client.post(f"/api/v1/sessions/{lonely['id']}/cancel", headers=organiser)
    report = await (
        await client.get("/api/v1/reports/sessions-without-moderator", headers=organiser)
    ).json()
    assert report["total"] == len(expected)  # cancelled sessions are not counted


async def test_share_of_sessions_per_action_line_and_sdg(client, demo, organiser):
    report = await (await client.get("/api/v1/reports/tags", headers=organiser)).json()
    total = len(PROGRAMME.sessions)
    assert report["sessions"] == total
    lines = Counter(a for x in PROGRAMME.sessions for a in set(x.action_lines))
    sdgs = Counter(n for x in PROGRAMME.sessions for n in set(x.sdgs))
    assert [t["key"] for t in report["action_lines"]] == [f"C{i}" for i in range(1, 12)]
    assert [t["key"] for t in report["sdgs"]] == [str(i) for i in range(1, 18)]
    for t in report["action_lines"]:
        assert t["sessions"] == lines[t["key"]]
        assert t["share"] == pytest.approx(lines[t["key"]] / total, abs=1e-4)
    for t in report["sdgs"]:
        assert t["sessions"] == sdgs[int(t["key"])]
        assert t["share"] == pytest.approx(sdgs[int(t["key"])] / total, abs=1e-4)
    assert all(t["sessions"] > 0 for t in report["action_lines"] + report["sdgs"])


async def test_reports_as_csv(client, demo, organiser):
    as_json = await (await client.get("/api/v1/reports/speakers", headers=organiser)).json()
    for kwargs in (
        {"params": {"format": "csv"}, "headers": organiser},
        {"headers": {**organiser, "Accept": "text/csv"}},
    ):
        r = await client.get("/api/v1/reports/speakers", **kwargs)
        assert r.status == 200 and r.content_type == "text/csv"
        assert "attachment" in r.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(await r.text())))
        overall = {
            (row["dimension"], row["category"]): (int(row["slots"]), int(row["people"]))
            for row in rows
            if row["scope"] == "overall"
        }
        for dimension in ("gender", "stakeholder_group"):
            counts = as_json["overall"][dimension]
            for category, slots in counts["slots"].items():
                assert overall[(dimension, category)] == (slots, counts["people"][category])
        assert {row["key"] for row in rows if row["scope"] == "track"} == {"high_level", "forum"}

    r = await client.get(
        "/api/v1/reports/sessions-without-women", params={"format": "csv"}, headers=organiser
    )
    listed = await (
        await client.get("/api/v1/reports/sessions-without-women", headers=organiser)
    ).json()
    rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert [int(row["id"]) for row in rows] == [line["id"] for line in listed["sessions"]]
    r = await client.get("/api/v1/reports/tags", params={"format": "csv"}, headers=organiser)
    rows = list(csv.DictReader(io.StringIO(await r.text())))
    assert len(rows) == 11 + 17


async def test_reports_are_for_organisers(client, factory, demo):
    participant = await factory.user()
    for path in ("speakers", "sessions-without-women", "sessions-without-moderator", "tags"):
        await expect_error(await client.get(f"/api/v1/reports/{path}"), 401, "unauthorized")
        r = await client.get(f"/api/v1/reports/{path}", headers=participant["headers"])
        await expect_error(r, 403, "forbidden")
    organiser = await factory.organiser_headers()
    r = await client.get("/api/v1/reports/tags", params={"format": "pdf"}, headers=organiser)
    await expect_error(r, 422, "validation_error")


async def test_panel_warnings_on_every_demo_session(client, demo, key_of):
    agenda = await (await client.get("/api/v1/agenda")).json()
    by_key = {x.key: x for x in PROGRAMME.sessions}
    flagged = 0
    for session in agenda["sessions"]:
        x = by_key[key_of[session["id"]]]
        expected = []
        if len(x.speaker_keys) >= 2:  # a panel; one speaker alone is not one
            if not any(PEOPLE[k].gender == "woman" for k in x.speaker_keys):
                expected.append("no_woman_speaker")
            if len({PEOPLE[k].stakeholder_group for k in x.speaker_keys}) == 1:
                expected.append("single_stakeholder_group")
        assert session["warnings"] == expected, x.key
        flagged += bool(expected)
    assert flagged >= 10
