"""Accounts, for organisers: list them and grant roles."""

from __future__ import annotations

from tests.api.helpers import expect_error, ok_json


async def test_list_users_with_filters_and_pages(factory):
    c = factory.client
    h = await factory.organiser_headers()  # user 1, the organiser
    await factory.user(name="Katherine Johnson", email="kj@nasa.example")
    await factory.user("moderator", name="Dorothy Vaughan")
    await factory.user(name="Mary Jackson")

    page = await ok_json(await c.get("/api/v1/users", headers=h))
    assert page["total"] == 4
    assert [u["role"] for u in page["items"]] == [
        "organiser",
        "participant",
        "moderator",
        "participant",
    ]
    assert all("password_hash" not in u for u in page["items"])

    by_name = await ok_json(await c.get("/api/v1/users", params={"q": "vaughan"}, headers=h))
    assert [u["name"] for u in by_name["items"]] == ["Dorothy Vaughan"]
    by_email = await ok_json(await c.get("/api/v1/users", params={"q": "NASA"}, headers=h))
    assert [u["name"] for u in by_email["items"]] == ["Katherine Johnson"]
    participants = await ok_json(
        await c.get("/api/v1/users", params={"role": "participant"}, headers=h)
    )
    assert participants["total"] == 2
    paged = await ok_json(
        await c.get("/api/v1/users", params={"limit": "2", "offset": "2"}, headers=h)
    )
    assert paged["total"] == 4
    assert [u["name"] for u in paged["items"]] == ["Dorothy Vaughan", "Mary Jackson"]
    await expect_error(
        await c.get("/api/v1/users", params={"role": "king"}, headers=h), 422, "validation_error"
    )


async def test_grant_a_role_takes_effect_at_once(factory):
    c = factory.client
    h = await factory.organiser_headers()
    user = await factory.user()
    prog = await factory.programme()
    body = {
        "title": "x",
        "track_id": prog["track"]["id"],
        "type_id": prog["type"]["id"],
        "room_id": prog["rooms"][0]["id"],
        "start": "2021-05-18T10:00:00",
    }
    await expect_error(
        await c.post("/api/v1/sessions", json=body, headers=user["headers"]), 403, "forbidden"
    )

    granted = await ok_json(
        await c.patch(f"/api/v1/users/{user['id']}", json={"role": "organiser"}, headers=h)
    )
    assert granted["role"] == "organiser"
    assert (await ok_json(await c.get("/api/v1/me", headers=user["headers"])))[
        "role"
    ] == "organiser"
    await ok_json(await c.post("/api/v1/sessions", json=body, headers=user["headers"]), 201)

    demoted = await ok_json(
        await c.patch(f"/api/v1/users/{user['id']}", json={"role": "moderator"}, headers=h)
    )
    assert demoted["role"] == "moderator"
    await expect_error(
        await c.post("/api/v1/sessions", json=body | {"title": "y"}, headers=user["headers"]),
        403,
        "forbidden",
    )
    await expect_error(
        await c.patch("/api/v1/users/999", json={"role": "organiser"}, headers=h), 404, "not_found"
    )
    await expect_error(
        await c.patch(f"/api/v1/users/{user['id']}", json={"role": "admin"}, headers=h),
        422,
        "validation_error",
    )
