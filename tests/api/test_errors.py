"""Every kind of bad input answers one JSON error shape with the right status."""

from __future__ import annotations

import pytest

from server.db.tables import Session, SessionPerson, SessionTag
from tests.api.helpers import count_rows, expect_error, locations


@pytest.fixture
async def prog(factory):
    return await factory.programme()


# Ids for bodies that are refused before any lookup (shape, size, type, auth).
STUB = {"track": {"id": 1}, "type": {"id": 1}, "rooms": [{"id": 1}]}


def session_body(prog, **fields):
    return {
        "title": "A session",
        "track_id": prog["track"]["id"],
        "type_id": prog["type"]["id"],
        "room_id": prog["rooms"][0]["id"],
        "start": "2021-05-18T10:00:00",
    } | fields


async def nothing_written(client) -> None:
    assert await count_rows(client, Session) == 0
    assert await count_rows(client, SessionTag) == 0
    assert await count_rows(client, SessionPerson) == 0


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b'{"title": "x",', "truncated"),
        (b"{'title': 'x'}", "single quotes"),
        (b"", "empty"),
        (b"   ", "blank"),
        (b'["a list"]', "not an object"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
async def test_malformed_json_is_400(factory, raw, why):
    h = await factory.organiser_headers()
    await expect_error(
        await factory.client.post(
            "/api/v1/sessions", data=raw, headers=h | {"Content-Type": "application/json"}
        ),
        400,
        "malformed_json",
    )
    await nothing_written(factory.client)


async def test_wrong_types_are_422_with_the_fields_named(factory):
    h = await factory.organiser_headers()
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json=session_body(
                STUB,
                title=["not", "a", "string"],
                room_id="one",
                start="next tuesday",
                sdgs=[18],
                action_lines=["C12"],
                languages=["English"],
                capacity=0,
            ),
            headers=h,
        ),
        422,
        "validation_error",
    )
    found = locations(error)
    for field in ("title", "room_id", "start", "capacity"):
        assert ("body", field) in found, found
    assert ("body", "sdgs", "0") in found
    assert ("body", "action_lines", "0") in found
    assert ("body", "languages", "0") in found
    await nothing_written(factory.client)


async def test_missing_fields_are_422(factory):
    h = await factory.organiser_headers()
    error = await expect_error(
        await factory.client.post("/api/v1/sessions", json={"title": "x"}, headers=h),
        422,
        "validation_error",
    )
    assert locations(error) == {
        ("body", "track_id"),
        ("body", "type_id"),
        ("body", "room_id"),
        ("body", "start"),
    }
    assert all(d["type"] == "missing" for d in error["details"])


async def test_unknown_body_fields_are_422(factory):
    h = await factory.organiser_headers()
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions", json=session_body(STUB, state="live"), headers=h
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "state")}
    await nothing_written(factory.client)


async def test_oversized_and_control_strings_are_422(factory):
    h = await factory.organiser_headers()
    c = factory.client
    error = await expect_error(
        await c.post("/api/v1/sessions", json=session_body(STUB, title="x" * 301), headers=h),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "title")}
    assert error["details"][0]["type"] == "string_too_long"
    error = await expect_error(
        await c.post("/api/v1/sessions", json=session_body(STUB, abstract="x" * 20_001), headers=h),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "abstract")}
    error = await expect_error(
        await c.post("/api/v1/sessions", json=session_body(STUB, title="bell\x07"), headers=h),
        422,
        "validation_error",
    )
    assert "control characters" in error["details"][0]["message"]
    error = await expect_error(
        await c.get("/api/v1/agenda", params={"q": "q" * 201}), 422, "validation_error"
    )
    assert locations(error) == {("query", "q")}
    await nothing_written(c)


async def test_oversized_body_is_413_json(factory):
    h = await factory.organiser_headers()
    body = b'{"title": "' + b"x" * 1_100_000 + b'"}'
    await expect_error(
        await factory.client.post(
            "/api/v1/sessions", data=body, headers=h | {"Content-Type": "application/json"}
        ),
        413,
        "payload_too_large",
    )
    await nothing_written(factory.client)


async def test_unknown_time_zones_are_422(factory, prog):
    c = factory.client
    h = await factory.organiser_headers()
    error = await expect_error(
        await c.post(
            "/api/v1/events",
            json={
                "slug": "mars",
                "name": "Mars",
                "timezone": "Mars/Olympus_Mons",
                "final_start": "2021-05-17",
                "final_end": "2021-05-21",
            },
            headers=h,
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "timezone")}
    assert "Mars/Olympus_Mons" in error["details"][0]["message"]
    error = await expect_error(
        await c.patch(
            f"/api/v1/events/{prog['event']['id']}", json={"timezone": "Europe/Atlantis"}, headers=h
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "timezone")}
    for path in ("/api/v1/agenda", "/api/v1/me/schedule"):
        error = await expect_error(
            await c.get(path, params={"tz": "Not/AZone"}, headers=h), 422, "validation_error"
        )
        assert locations(error) == {("query", "tz")}
    s = await factory.session(prog)
    error = await expect_error(
        await c.get(f"/api/v1/sessions/{s['id']}", params={"tz": "utc+2"}), 422, "validation_error"
    )
    assert locations(error) == {("query", "tz")}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sessions/999"),
        ("GET", "/api/v1/sessions/abc"),
        ("GET", "/api/v1/sessions/12345678901234567890123"),
        ("GET", "/api/v1/sessions/2147483648"),  # beyond a 32-bit id: no row, not a 500
        ("GET", "/api/v1/sessions/0"),
        ("GET", "/api/v1/sessions/%EF%BC%91"),  # a full-width digit one
        ("PATCH", "/api/v1/sessions/999"),
        ("DELETE", "/api/v1/sessions/999"),
        ("POST", "/api/v1/sessions/999/cancel"),
        ("POST", "/api/v1/sessions/999/signup"),
        ("DELETE", "/api/v1/sessions/999/signup"),
        ("GET", "/api/v1/events/999"),
        ("PATCH", "/api/v1/events/999"),
        ("DELETE", "/api/v1/events/999"),
        ("GET", "/api/v1/tracks/999"),
        ("PATCH", "/api/v1/session-types/999"),
        ("DELETE", "/api/v1/rooms/999"),
        ("GET", "/api/v1/people/999"),
        ("PATCH", "/api/v1/people/999"),
        ("DELETE", "/api/v1/people/999"),
        ("PATCH", "/api/v1/users/999"),
    ],
)
async def test_unknown_ids_are_404(factory, method, path):
    h = await factory.organiser_headers()
    body = {"role": "moderator"} if "users" in path else {}
    r = await factory.client.request(
        method, path, json=body if method == "PATCH" else None, headers=h
    )
    await expect_error(r, 404, "not_found")


async def test_unknown_event_in_query_is_404(factory, prog):
    error = await expect_error(
        await factory.client.get("/api/v1/agenda", params={"event": "no-such-event"}),
        404,
        "not_found",
    )
    assert error["details"]["kind"] == "event"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("track_id", 999),
        ("type_id", 999),
        ("room_id", 999),
        ("speaker_ids", [999]),
        ("moderator_ids", [999]),
    ],
)
async def test_unknown_references_in_a_body_are_422(factory, prog, field, value):
    h = await factory.organiser_headers()
    person = prog["people"][0]["id"]
    body = session_body(prog, speaker_ids=[person], action_lines=["C1"], languages=["en", "fr"]) | {
        field: value
    }
    error = await expect_error(
        await factory.client.post("/api/v1/sessions", json=body, headers=h),
        422,
        "unknown_reference",
    )
    assert locations(error) == {("body", field)}
    assert str(999) in error["message"]
    await nothing_written(factory.client)


async def test_unknown_reference_in_a_patch_changes_nothing(factory, prog):
    h = await factory.organiser_headers()
    s = await factory.session(prog, speaker_ids=[prog["people"][0]["id"]])
    c = factory.client
    await expect_error(
        await c.patch(
            f"/api/v1/sessions/{s['id']}",
            json={"title": "Renamed", "speaker_ids": [prog["people"][1]["id"], 999]},
            headers=h,
        ),
        422,
        "unknown_reference",
    )
    after = await (await c.get(f"/api/v1/sessions/{s['id']}")).json()
    assert after == s


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"title=x", "application/x-www-form-urlencoded"),
        (b'{"title": "x"}', "text/plain"),
        (b"<session/>", "application/xml"),
        (b'{"title": "x"}', None),
    ],
)
async def test_non_json_bodies_are_415(factory, data, content_type):
    h = await factory.organiser_headers()
    headers = h | ({"Content-Type": content_type} if content_type else {})
    error = await expect_error(
        await factory.client.post("/api/v1/sessions", data=data, headers=headers),
        415,
        "unsupported_media_type",
    )
    assert "JSON" in error["message"]


async def test_json_with_a_suffix_media_type_is_accepted(factory, prog):
    h = await factory.organiser_headers()
    r = await factory.client.post(
        "/api/v1/tracks",
        data=b'{"slug": "x", "name": "X"}',
        headers=h | {"Content-Type": "application/merge-patch+json; charset=utf-8"},
    )
    assert r.status == 201, await r.text()


async def test_unauthenticated_is_401_with_a_challenge(factory, prog):
    c = factory.client
    r = await c.post("/api/v1/sessions", json=session_body(prog))
    await expect_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"] == "Bearer"
    # A token that is not one (or no longer one) is also 401.
    await expect_error(
        await c.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}),
        401,
        "unauthorized",
    )
    await expect_error(
        await c.get("/api/v1/me", headers={"Authorization": "Bearer " + "x" * 5000}),
        401,
        "unauthorized",
    )
    await nothing_written(c)


async def test_authentication_comes_before_body_parsing(factory):
    """An anonymous caller learns nothing about the body it sent: 401 first."""
    await expect_error(
        await factory.client.post(
            "/api/v1/sessions", data=b"{oops", headers={"Content-Type": "application/json"}
        ),
        401,
        "unauthorized",
    )


async def test_forbidden_is_403(factory, prog):
    participant = await factory.user()
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions", json=session_body(prog), headers=participant["headers"]
        ),
        403,
        "forbidden",
    )
    assert "organiser" in error["message"]
    await nothing_written(factory.client)


async def test_unknown_route_is_json_404(client):
    for path in ("/api/v1/nothing-here", "/nowhere", "/api/v2/agenda"):
        await expect_error(await client.get(path), 404, "not_found")


async def test_wrong_method_is_json_405_with_allow(factory):
    r = await factory.client.put("/api/v1/agenda", json={})
    await expect_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]
    r = await factory.client.post("/api/v1/openapi.json")
    await expect_error(r, 405, "method_not_allowed")


async def test_unknown_query_parameters_are_422(factory):
    error = await expect_error(
        await factory.client.get("/api/v1/agenda", params={"trakc": "forum"}),
        422,
        "validation_error",
    )
    assert locations(error) == {("query", "trakc")}


async def test_a_conflicting_create_writes_nothing(factory, prog):
    """The 409 comes after tags and panel are built: the transaction must leave no trace."""
    people = [p["id"] for p in prog["people"]]
    first = await factory.session(prog, speaker_ids=people[:2], sdgs=[4], languages=["en"])
    h = await factory.organiser_headers()
    c = factory.client
    rows = [await count_rows(c, m) for m in (Session, SessionTag, SessionPerson)]
    error = await expect_error(
        await c.post(
            "/api/v1/sessions",
            json=session_body(
                prog,
                title="Clash",
                speaker_ids=people[2:],
                moderator_ids=[people[0]],
                action_lines=["C1", "C2"],
                sdgs=[1, 2, 3],
                languages=["fr", "es"],
            ),
            headers=h,
        ),
        409,
        "conflict",
    )
    assert {x["id"] for c_ in error["details"]["conflicts"] for x in c_["sessions"]} >= {
        first["id"]
    }
    assert [await count_rows(c, m) for m in (Session, SessionTag, SessionPerson)] == rows
    assert await count_rows(c, Session, Session.title == "Clash") == 0


async def test_ids_beyond_the_id_range_are_refused_not_crashed(factory, prog):
    """PostgreSQL refuses to compare a 32-bit column with a larger number: no 500s."""
    h = await factory.organiser_headers()
    c = factory.client
    error = await expect_error(
        await c.post(
            "/api/v1/people",
            json={
                "name": "x",
                "country": "CH",
                "stakeholder_group": "other",
                "user_id": 2**31,
            },
            headers=h,
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "user_id")}
    error = await expect_error(
        await c.post("/api/v1/sessions", json=session_body(prog, speaker_ids=[2**40]), headers=h),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "speaker_ids", "0")}
    for params in (
        {"speaker": "9" * 25},
        {"speaker": str(2**31)},
        {"track": "9" * 25},
        {"room": str(2**31)},
        {"type": "9" * 19},
    ):
        r = await c.get("/api/v1/agenda", params=params)
        assert r.status == 200, (params, await r.text())
        assert (await r.json())["total"] == 0
    await expect_error(await c.get("/api/v1/agenda", params={"event": "9" * 25}), 404, "not_found")


@pytest.mark.parametrize(
    "start",
    ["9999-12-31T23:30:00", "9999-12-31T23:30:00-05:00", "0001-01-01T00:00:00", "1066-10-14T09:00"],
)
async def test_dates_at_the_ends_of_the_calendar_are_422(factory, start):
    """Zone and duration arithmetic would overflow there: a typo gets a 422, not a 500."""
    h = await factory.organiser_headers()
    error = await expect_error(
        await factory.client.post(
            "/api/v1/sessions", json=session_body(STUB, start=start), headers=h
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "start")}
    await nothing_written(factory.client)


async def test_event_and_agenda_dates_far_out_are_422(factory, prog):
    c = factory.client
    h = await factory.organiser_headers()
    error = await expect_error(
        await c.patch(
            f"/api/v1/events/{prog['event']['id']}",
            json={"registration_opens_at": "0001-01-01T00:00:00+01:00", "final_end": "9999-12-31"},
            headers=h,
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "registration_opens_at"), ("body", "final_end")}
    for params in ({"from": "0001-01-01"}, {"to": "9999-12-31"}, {"day": "9999-12-31"}):
        error = await expect_error(
            await c.get("/api/v1/agenda", params=params), 422, "validation_error"
        )
        assert error["details"][0]["location"][0] == "query"
