"""Who may call what: anonymous 401, too small a role 403, every declared route included."""

from __future__ import annotations

import re

from server.api.openapi import documented_routes
from server.db.tables import Session, Star
from tests.api.helpers import count_rows, expect_error, ok_json

# The organiser-only surface of the foundation, spelled out so a loosened route fails here.
ORGANISER_ONLY = [
    ("POST", "/api/v1/events"),
    ("PATCH", "/api/v1/events/{id}"),
    ("DELETE", "/api/v1/events/{id}"),
    ("POST", "/api/v1/tracks"),
    ("PATCH", "/api/v1/tracks/{id}"),
    ("DELETE", "/api/v1/tracks/{id}"),
    ("POST", "/api/v1/session-types"),
    ("PATCH", "/api/v1/session-types/{id}"),
    ("DELETE", "/api/v1/session-types/{id}"),
    ("POST", "/api/v1/rooms"),
    ("PATCH", "/api/v1/rooms/{id}"),
    ("DELETE", "/api/v1/rooms/{id}"),
    ("GET", "/api/v1/people"),
    ("POST", "/api/v1/people"),
    ("GET", "/api/v1/people/{id}"),
    ("PATCH", "/api/v1/people/{id}"),
    ("DELETE", "/api/v1/people/{id}"),
    ("POST", "/api/v1/sessions"),
    ("PATCH", "/api/v1/sessions/{id}"),
    ("POST", "/api/v1/sessions/{id}/cancel"),
    ("DELETE", "/api/v1/sessions/{id}"),
    ("GET", "/api/v1/users"),
    ("PATCH", "/api/v1/users/{id}"),
    ("GET", "/api/v1/conflicts"),
]
SIGNED_IN = [
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("GET", "/api/v1/me/schedule"),
    ("POST", "/api/v1/sessions/{id}/star"),
    ("DELETE", "/api/v1/sessions/{id}/star"),
    ("POST", "/api/v1/sessions/{id}/signup"),
    ("DELETE", "/api/v1/sessions/{id}/signup"),
    ("POST", "/api/v1/auth/logout"),
]
PUBLIC = [
    ("GET", "/api/v1/agenda"),
    ("GET", "/api/v1/sessions/{id}"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/event"),
    ("GET", "/api/v1/events/{id}"),
    ("GET", "/api/v1/tracks"),
    ("GET", "/api/v1/rooms/{id}"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
]


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


async def call(client, method, path, headers=None):
    body = {} if method in ("POST", "PATCH", "PUT") else None
    return await client.request(method, concrete(path), json=body, headers=headers or {})


def declared(client) -> dict[tuple[str, str], str]:
    found, _missing = documented_routes(client.app)
    return {(method, path): spec.auth for method, path, spec in found}


async def test_declared_auth_matches_the_foundation_table(client):
    auth = declared(client)
    for route in ORGANISER_ONLY:
        assert auth.get(route) == "organiser", route
    for route in SIGNED_IN:
        assert auth.get(route) == "user", route
    for route in PUBLIC:
        assert auth.get(route) in ("public", "optional"), route


async def test_every_protected_route_refuses_anonymous_and_smaller_roles(factory):
    """Walks the router: a route added later with a role is checked too."""
    c = factory.client
    participant = await factory.user()
    moderator = await factory.user("moderator")
    checked = 0
    for (method, path), auth in sorted(declared(c).items()):
        if auth in ("public", "optional", "token"):
            continue  # "token" routes check their own credential (join token, stream key)
        r = await call(c, method, path)
        await expect_error(r, 401, "unauthorized")
        expired = await call(c, method, path, {"Authorization": "Bearer expired-or-forged"})
        await expect_error(expired, 401, "unauthorized")
        if auth in ("moderator", "organiser"):
            await expect_error(
                await call(c, method, path, participant["headers"]), 403, "forbidden"
            )
        if auth == "organiser":
            await expect_error(await call(c, method, path, moderator["headers"]), 403, "forbidden")
        checked += 1
    assert checked >= len(ORGANISER_ONLY) + len(SIGNED_IN)


async def test_a_participant_cannot_create_sessions(factory):
    prog = await factory.programme()
    participant = await factory.user()
    await expect_error(
        await factory.client.post(
            "/api/v1/sessions",
            json={
                "title": "Mine",
                "track_id": prog["track"]["id"],
                "type_id": prog["type"]["id"],
                "room_id": prog["rooms"][0]["id"],
                "start": "2021-05-18T10:00:00",
            },
            headers=participant["headers"],
        ),
        403,
        "forbidden",
    )
    assert await count_rows(factory.client, Session) == 0


async def test_anonymous_cannot_star(factory):
    prog = await factory.programme()
    s = await factory.session(prog)
    c = factory.client
    await expect_error(await c.post(f"/api/v1/sessions/{s['id']}/star"), 401, "unauthorized")
    await expect_error(await c.delete(f"/api/v1/sessions/{s['id']}/star"), 401, "unauthorized")
    await expect_error(await c.post(f"/api/v1/sessions/{s['id']}/signup"), 401, "unauthorized")
    assert await count_rows(c, Star) == 0


async def test_participants_cannot_list_people_or_users(factory):
    participant = await factory.user()
    c = factory.client
    await expect_error(
        await c.get("/api/v1/people", headers=participant["headers"]), 403, "forbidden"
    )
    await expect_error(
        await c.get("/api/v1/users", headers=participant["headers"]), 403, "forbidden"
    )
    # Nor make themselves organisers.
    await expect_error(
        await c.patch(
            f"/api/v1/users/{participant['id']}",
            json={"role": "organiser"},
            headers=participant["headers"],
        ),
        403,
        "forbidden",
    )


async def test_public_reads_need_no_account(factory):
    prog = await factory.programme()
    await factory.session(prog)
    for method, path in PUBLIC:
        if method == "GET":
            r = await call(factory.client, method, path)
            assert r.status == 200, (path, await r.text())


async def test_a_bad_token_on_a_public_route_is_ignored(factory):
    await factory.event()
    await ok_json(
        await factory.client.get("/api/v1/agenda", headers={"Authorization": "Bearer nonsense"})
    )
