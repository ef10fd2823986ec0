"""Logging in and out: one secret as an httpOnly cookie and as a Bearer token."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

from sqlalchemy import update

from server.appkeys import db_key
from server.db.tables import AuthToken
from tests.api.helpers import count_rows, expect_error, ok_json

PASSWORD = "correct horse battery"


def stored_hash(token: str) -> str:
    """Tokens are kept only as their SHA-256, so a database leak is no login."""
    return hashlib.sha256(token.encode()).hexdigest()


def set_cookie(r) -> SimpleCookie:
    headers = r.headers.getall("Set-Cookie")
    assert len(headers) == 1, headers
    cookie = SimpleCookie()
    cookie.load(headers[0])
    return cookie


async def login(client, email, password=PASSWORD, **kw):
    return await client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, **kw
    )


async def test_login_returns_a_token_and_a_safe_cookie(factory):
    c = factory.client
    user = await factory.user(email="ada@example.org")
    r = await login(c, "ada@example.org")
    body = await ok_json(r)
    assert set(body) == {"token", "user"}
    assert body["user"]["id"] == user["id"]
    assert len(body["token"]) >= 32
    morsel = set_cookie(r)["forumlive_session"]
    assert morsel.value == body["token"]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert int(morsel["max-age"]) == 30 * 86400
    assert not morsel["secure"]  # plain http in tests; FORUMLIVE_COOKIE_SECURE turns it on
    # The database holds a hash, never the token itself.
    assert await count_rows(c, AuthToken, AuthToken.token_hash == body["token"]) == 0
    assert await count_rows(c, AuthToken, AuthToken.token_hash == stored_hash(body["token"])) == 1
    # Each login is its own token.
    again = await ok_json(await login(c, "ada@example.org"))
    assert again["token"] != body["token"]


async def test_the_cookie_alone_authenticates(factory):
    c = factory.client
    await factory.user(email="cookie@example.org")
    await ok_json(await login(c, "cookie@example.org"))  # the client keeps the cookie
    me = await ok_json(await c.get("/api/v1/me"))
    assert me["email"] == "cookie@example.org"
    c.session.cookie_jar.clear()
    await expect_error(await c.get("/api/v1/me"), 401, "unauthorized")


async def test_bearer_authenticates_without_a_cookie(factory):
    c = factory.client
    await factory.user(email="bearer@example.org")
    token = (await ok_json(await login(c, "bearer@example.org")))["token"]
    c.session.cookie_jar.clear()
    me = await ok_json(await c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}))
    assert me["email"] == "bearer@example.org"
    # The scheme is case-insensitive; anything else is no credential.
    await ok_json(await c.get("/api/v1/me", headers={"Authorization": f"bearer {token}"}))
    await expect_error(
        await c.get("/api/v1/me", headers={"Authorization": f"Basic {token}"}), 401, "unauthorized"
    )


async def test_logout_revokes_the_token_and_clears_the_cookie(factory):
    c = factory.client
    await factory.user(email="bye@example.org")
    token = (await ok_json(await login(c, "bye@example.org")))["token"]
    other = (await ok_json(await login(c, "bye@example.org")))["token"]
    c.session.cookie_jar.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    r = await c.post("/api/v1/auth/logout", headers=bearer)
    assert await ok_json(r) == {"ok": True}
    cleared = set_cookie(r)["forumlive_session"]
    assert cleared.value == ""
    assert cleared["max-age"] == "0"
    await expect_error(await c.get("/api/v1/me", headers=bearer), 401, "unauthorized")
    await expect_error(await c.post("/api/v1/auth/logout", headers=bearer), 401, "unauthorized")
    # Only this login ends: another device stays signed in.
    await ok_json(await c.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}))
    assert await count_rows(c, AuthToken, AuthToken.token_hash == stored_hash(token)) == 0
    assert await count_rows(c, AuthToken, AuthToken.token_hash == stored_hash(other)) == 1


async def test_logout_with_the_cookie(factory):
    c = factory.client
    await factory.user(email="cookiebye@example.org")
    token = (await ok_json(await login(c, "cookiebye@example.org")))["token"]
    await ok_json(await c.post("/api/v1/auth/logout"))
    await expect_error(await c.get("/api/v1/me"), 401, "unauthorized")
    await expect_error(
        await c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}), 401, "unauthorized"
    )
    assert await count_rows(c, AuthToken, AuthToken.token_hash == stored_hash(token)) == 0


async def test_an_expired_login_is_401(factory):
    c = factory.client
    user = await factory.user()
    async with c.app[db_key].write() as s:
        await s.execute(
            update(AuthToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    error = await expect_error(
        await c.get("/api/v1/me", headers=user["headers"]), 401, "unauthorized"
    )
    assert "expired" in error["message"]


async def test_wrong_password_and_unknown_email_look_the_same(factory):
    c = factory.client
    await factory.user(email="known@example.org")
    wrong = await expect_error(
        await login(c, "known@example.org", "not the password"), 401, "bad_credentials"
    )
    unknown = await expect_error(await login(c, "nobody@example.org"), 401, "bad_credentials")
    assert wrong == unknown
    assert "forumlive_session" not in c.session.cookie_jar.filter_cookies(c.make_url("/"))


async def test_login_validation(factory):
    c = factory.client
    await expect_error(
        await c.post("/api/v1/auth/login", json={"email": "x@example.org"}), 422, "validation_error"
    )
    await expect_error(
        await c.post("/api/v1/auth/login", data=b"email=x", headers={"Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )


async def test_cookie_writes_from_a_foreign_origin_are_refused(factory):
    c = factory.client
    prog = await factory.programme()
    s = await factory.session(prog)
    await factory.user(email="csrf@example.org")
    await ok_json(await login(c, "csrf@example.org"))
    evil = {"Origin": "https://evil.example"}
    error = await expect_error(
        await c.post(f"/api/v1/sessions/{s['id']}/star", headers=evil), 403, "bad_origin"
    )
    assert error["details"] == {"origin": "https://evil.example"}
    await expect_error(await c.post("/api/v1/auth/logout", headers=evil), 403, "bad_origin")
    await expect_error(
        await c.patch("/api/v1/me", json={"name": "Pwned"}, headers=evil), 403, "bad_origin"
    )
    me = await ok_json(await c.get("/api/v1/me", headers=evil))  # reads are not refused
    assert me["name"] != "Pwned"
    assert await ok_json(await c.get("/api/v1/me/schedule")) == []
    # Our own pages (the public URL) and tools that send no Origin may write.
    own = {"Origin": "http://127.0.0.1:8080"}
    await ok_json(await c.post(f"/api/v1/sessions/{s['id']}/star", headers=own))
    await ok_json(await c.delete(f"/api/v1/sessions/{s['id']}/star"))
    # A Bearer token is not sent by browsers on their own: no CSRF, the origin does not matter.
    token = (await ok_json(await login(c, "csrf@example.org")))["token"]
    c.session.cookie_jar.clear()
    await ok_json(
        await c.post(
            f"/api/v1/sessions/{s['id']}/star",
            headers=evil | {"Authorization": f"Bearer {token}"},
        )
    )


async def test_allowed_origins_extend_the_public_url(aiohttp_client, settings):
    from server.app import create_app
    from tests.factories import Factory

    c = await aiohttp_client(
        create_app(settings.model_copy(update={"allowed_origins": ["https://forum.example"]}))
    )
    factory = Factory(c)
    await factory.user(email="partner@example.org")
    await ok_json(await login(c, "partner@example.org"))
    await ok_json(
        await c.patch(
            "/api/v1/me", json={"name": "Partner"}, headers={"Origin": "https://forum.example"}
        )
    )
    await expect_error(
        await c.patch(
            "/api/v1/me", json={"name": "x"}, headers={"Origin": "https://other.example"}
        ),
        403,
        "bad_origin",
    )
