"""Tracks, session types and rooms: one round trip each, plus their shared rules."""

from __future__ import annotations

from typing import Any

import pytest

from server.db.tables import Room, SessionType, Track
from tests.api.helpers import count_rows, expect_error, locations, ok_json

CATALOGUES: list[tuple[str, Any, str, dict[str, Any], dict[str, Any]]] = [
    (
        "/api/v1/tracks",
        Track,
        "slug",
        {"slug": "high_level", "name": "High-Level Track", "description": "Ministers"},
        {"name": "High-Level Track 2", "description": ""},
    ),
    (
        "/api/v1/session-types",
        SessionType,
        "key",
        {
            "key": "knowledge_cafe",
            "name": "Knowledge Café",
            "default_duration_min": 60,
            "interactive": True,
            "default_capacity": 50,
        },
        {"default_duration_min": 45, "default_capacity": None, "interactive": False},
    ),
    (
        "/api/v1/rooms",
        Room,
        "slug",
        {"slug": "room-a", "name": "Room A", "capacity": 300},
        {"name": "Room Alpha", "capacity": 1000},
    ),
]
IDS = ["tracks", "session-types", "rooms"]


@pytest.mark.parametrize(("path", "model", "unique", "body", "patch"), CATALOGUES, ids=IDS)
async def test_catalogue_round_trip(factory, path, model, unique, body, patch):
    c = factory.client
    h = await factory.organiser_headers()
    event = await factory.event()
    created = await ok_json(await c.post(path, json=body, headers=h), 201)
    assert created["event_id"] == event["id"]  # the current event by default
    assert {k: created[k] for k in body} == body

    assert await ok_json(await c.get(f"{path}/{created['id']}")) == created
    assert await ok_json(await c.get(path)) == [created]

    updated = await ok_json(await c.patch(f"{path}/{created['id']}", json=patch, headers=h))
    assert {k: updated[k] for k in patch} == patch
    assert updated[unique] == body[unique]
    assert await ok_json(await c.get(f"{path}/{created['id']}")) == updated

    r = await c.delete(f"{path}/{created['id']}", headers=h)
    assert r.status == 204
    await expect_error(await c.get(f"{path}/{created['id']}"), 404, "not_found")
    assert await ok_json(await c.get(path)) == []
    assert await count_rows(c, model) == 0


@pytest.mark.parametrize(("path", "model", "unique", "body", "patch"), CATALOGUES, ids=IDS)
async def test_catalogue_rules(factory, path, model, unique, body, patch):
    c = factory.client
    h = await factory.organiser_headers()
    first = await factory.event()
    second = await factory.event(slug="second", final_start="2020-05-17", final_end="2020-05-21")
    a = await ok_json(await c.post(path, json=body | {"event_id": first["id"]}, headers=h), 201)
    # The key is unique per event, not globally.
    b = await ok_json(await c.post(path, json=body | {"event_id": second["id"]}, headers=h), 201)
    assert b["event_id"] == second["id"]
    await expect_error(
        await c.post(path, json=body | {"event_id": first["id"]}, headers=h), 409, "duplicate"
    )
    other = await ok_json(
        await c.post(path, json=body | {unique: "other", "event_id": first["id"]}, headers=h),
        201,
    )
    await expect_error(
        await c.patch(f"{path}/{other['id']}", json={unique: body[unique]}, headers=h),
        409,
        "duplicate",
    )
    # Listing is per event.
    assert [x["id"] for x in await ok_json(await c.get(path, params={"event": "second"}))] == [
        b["id"]
    ]
    # An unknown event in the body is a bad reference, not a missing resource.
    error = await expect_error(
        await c.post(path, json=body | {"event_id": 999}, headers=h), 422, "unknown_reference"
    )
    assert locations(error) == {("body", "event_id")}
    # null for a required field is refused, and nothing changes.
    error = await expect_error(
        await c.patch(f"{path}/{a['id']}", json={"name": None}, headers=h), 422, "validation_error"
    )
    assert locations(error) == {("body", "name")}
    assert await ok_json(await c.get(f"{path}/{a['id']}")) == a
    assert await count_rows(c, model) == 3


async def test_catalogue_in_use_cannot_be_deleted(factory):
    prog = await factory.programme()
    s = await factory.session(prog)
    c = factory.client
    h = await factory.organiser_headers()
    for path, ref in (
        ("/api/v1/tracks", prog["track"]),
        ("/api/v1/session-types", prog["type"]),
        ("/api/v1/rooms", prog["rooms"][0]),
    ):
        error = await expect_error(await c.delete(f"{path}/{ref['id']}", headers=h), 409, "in_use")
        assert error["details"] == {"session_ids": [s["id"]]}
    # The unused room goes.
    r = await c.delete(f"/api/v1/rooms/{prog['rooms'][1]['id']}", headers=h)
    assert r.status == 204
