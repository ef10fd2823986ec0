"""A participant's own things: profile, stars and the personal schedule."""

from __future__ import annotations

from server.db.tables import Star
from tests.api.helpers import count_rows, expect_error, locations, ok_json


async def test_profile_read_and_update(factory):
    c = factory.client
    user = await factory.user(name="Hedy Lamarr", country="AT", gender="woman")
    me = await ok_json(await c.get("/api/v1/me", headers=user["headers"]))
    assert me["name"] == "Hedy Lamarr"
    assert me["role"] == "participant"
    assert me["email"] == user["email"]
    assert "password_hash" not in me

    updated = await ok_json(
        await c.patch(
            "/api/v1/me",
            json={
                "name": "Hedy K.",
                "organisation": "Frequency Hopping Ltd",
                "country": "us",
                "stakeholder_group": "private_sector",
                "gender": None,
            },
            headers=user["headers"],
        )
    )
    assert updated["name"] == "Hedy K."
    assert updated["organisation"] == "Frequency Hopping Ltd"
    assert updated["country"] == "US"
    assert updated["stakeholder_group"] == "private_sector"
    assert updated["gender"] is None  # optional: may be withdrawn
    assert updated["role"] == "participant"
    assert await ok_json(await c.get("/api/v1/me", headers=user["headers"])) == updated


async def test_profile_cannot_change_role_or_email(factory):
    user = await factory.user()
    error = await expect_error(
        await factory.client.patch(
            "/api/v1/me",
            json={"role": "organiser", "email": "boss@example.org"},
            headers=user["headers"],
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "role"), ("body", "email")}
    me = await ok_json(await factory.client.get("/api/v1/me", headers=user["headers"]))
    assert me["role"] == "participant"


async def test_star_unstar_and_schedule(factory):
    c = factory.client
    prog = await factory.programme()
    late = await factory.session(prog, title="Late", start="2021-05-19T10:00:00")
    early = await factory.session(prog, title="Early", start="2021-05-18T10:00:00")
    other = await factory.session(prog, title="Not mine", start="2021-05-20T10:00:00")
    user = await factory.user()
    h = user["headers"]

    assert await ok_json(await c.post(f"/api/v1/sessions/{late['id']}/star", headers=h)) == {
        "session_id": late["id"],
        "starred": True,
    }
    # Starring twice is the same as once.
    await ok_json(await c.post(f"/api/v1/sessions/{late['id']}/star", headers=h))
    await ok_json(await c.post(f"/api/v1/sessions/{early['id']}/star", headers=h))
    assert await count_rows(c, Star) == 2

    schedule = await ok_json(
        await c.get("/api/v1/me/schedule", params={"tz": "Asia/Tokyo"}, headers=h)
    )
    assert [item["session"]["title"] for item in schedule] == ["Early", "Late"]
    assert all(item["starred"] and item["signup"] is None for item in schedule)
    assert schedule[0]["session"]["start_local"] == "2021-05-18T17:00:00+09:00"
    assert schedule[0]["session"]["tz"] == "Asia/Tokyo"

    # Another account's schedule is its own.
    stranger = await factory.user()
    assert await ok_json(await c.get("/api/v1/me/schedule", headers=stranger["headers"])) == []

    assert await ok_json(await c.delete(f"/api/v1/sessions/{late['id']}/star", headers=h)) == {
        "session_id": late["id"],
        "starred": False,
    }
    await ok_json(
        await c.delete(f"/api/v1/sessions/{other['id']}/star", headers=h)
    )  # never starred
    schedule = await ok_json(await c.get("/api/v1/me/schedule", headers=h))
    assert [item["session"]["id"] for item in schedule] == [early["id"]]

    await expect_error(await c.post("/api/v1/sessions/999/star", headers=h), 404, "not_found")
    await expect_error(await c.delete("/api/v1/sessions/999/star", headers=h), 404, "not_found")


async def test_schedule_lists_signups_with_their_status(factory):
    c = factory.client
    prog = await factory.programme()
    s = await factory.session(prog, capacity=1)
    first, second = await factory.user(), await factory.user()
    await ok_json(await c.post(f"/api/v1/sessions/{s['id']}/signup", headers=first["headers"]), 201)
    await ok_json(
        await c.post(f"/api/v1/sessions/{s['id']}/signup", headers=second["headers"]), 201
    )
    mine = await ok_json(await c.get("/api/v1/me/schedule", headers=second["headers"]))
    assert [(i["session"]["id"], i["starred"], i["signup"]) for i in mine] == [
        (s["id"], False, "waitlisted")
    ]
    assert mine[0]["session"]["seats_taken"] == 1
    assert mine[0]["session"]["waitlisted"] == 1
