"""Registration: validation, unique case-insensitive emails, argon2, nothing half-written."""

from __future__ import annotations

import asyncio

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from server.appkeys import db_key
from server.db.tables import User
from tests.api.helpers import count_rows, expect_error, locations, ok_json

GRACE = {
    "name": "Grace Hopper",
    "email": "Grace.Hopper@Example.ORG",
    "password": "cobol forever 1959",
    "organisation": "US Navy",
    "country": "us",
    "stakeholder_group": "government",
    "gender": "woman",
}


async def test_register_signs_in_and_stores_an_argon2_hash(client):
    r = await client.post("/api/v1/auth/register", json=GRACE)
    body = await ok_json(r, 201)
    assert set(body) == {"token", "user"}
    user = body["user"]
    assert user["email"] == "grace.hopper@example.org"  # one spelling per address
    assert user["country"] == "US"
    assert user["role"] == "participant"  # never chosen by the caller
    assert user["gender"] == "woman"
    assert "password" not in user and "password_hash" not in user
    cookie = r.cookies["forumlive_session"]
    assert cookie.value == body["token"]
    me = await ok_json(
        await client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    )
    assert me["id"] == user["id"]

    async with client.app[db_key].read() as s:
        stored = await s.scalar(select(User).where(User.id == user["id"]))
    assert stored.password_hash.startswith("$argon2id$")
    assert GRACE["password"] not in stored.password_hash
    assert PasswordHasher().verify(stored.password_hash, GRACE["password"])


async def test_gender_is_optional(client):
    body = GRACE | {"email": "anon@example.org"}
    del body["gender"]
    user = (await ok_json(await client.post("/api/v1/auth/register", json=body), 201))["user"]
    assert user["gender"] is None


async def test_duplicate_email_in_any_case_is_409_and_adds_nobody(client):
    await ok_json(await client.post("/api/v1/auth/register", json=GRACE), 201)
    for email in (
        "grace.hopper@example.org",
        "GRACE.HOPPER@EXAMPLE.ORG",
        " grace.hopper@example.org",
    ):
        await expect_error(
            await client.post("/api/v1/auth/register", json=GRACE | {"email": email}),
            409,
            "email_taken",
        )
    assert await count_rows(client, User) == 1
    # Logging in ignores case too.
    await ok_json(
        await client.post(
            "/api/v1/auth/login",
            json={"email": "GRACE.hopper@example.org", "password": GRACE["password"]},
        )
    )


async def test_concurrent_registrations_of_one_email_make_one_account(client):
    """On PostgreSQL the racing inserts meet at the unique index: 409, never a 500."""
    for round_ in range(3):
        spellings = [f"race{round_}@example.org", f"RACE{round_}@example.org"] * 4
        results = await asyncio.gather(
            *(
                client.post("/api/v1/auth/register", json=GRACE | {"email": email})
                for email in spellings
            )
        )
        statuses = sorted(r.status for r in results)
        assert statuses == [201] + [409] * 7, [await r.text() for r in results]
        for r in results:
            if r.status == 409:
                await expect_error(r, 409, "email_taken")
    assert await count_rows(client, User) == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "CHE"}, "country"),
        ({"country": ""}, "country"),
        ({"stakeholder_group": "press"}, "stakeholder_group"),
        ({"stakeholder_group": None}, "stakeholder_group"),
        ({"gender": "unknown"}, "gender"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"organisation": "x" * 201}, "organisation"),
        ({"role": "organiser"}, "role"),
    ],
)
async def test_invalid_registrations_are_422_and_add_nobody(client, change, field):
    error = await expect_error(
        await client.post("/api/v1/auth/register", json=GRACE | change),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", field)}
    assert await count_rows(client, User) == 0


@pytest.mark.parametrize("missing", ["name", "email", "password", "organisation", "country"])
async def test_missing_registration_fields_are_422(client, missing):
    body = {k: v for k, v in GRACE.items() if k != missing}
    error = await expect_error(
        await client.post("/api/v1/auth/register", json=body), 422, "validation_error"
    )
    assert locations(error) == {("body", missing)}
    assert await count_rows(client, User) == 0
