"""People on the programme: organisers create, read, update, delete and list them."""

from __future__ import annotations

from server.db.tables import Person, SessionPerson
from tests.api.helpers import count_rows, expect_error, locations, ok_json

ADA = {
    "name": "Ada Lovelace",
    "organisation": "Analytical Society",
    "country": "gb",
    "stakeholder_group": "academia",
    "gender": "woman",
    "bio": "First programmer.",
}


async def test_person_round_trip(factory):
    c = factory.client
    h = await factory.organiser_headers()
    created = await ok_json(await c.post("/api/v1/people", json=ADA, headers=h), 201)
    assert created["country"] == "GB"  # normalised to upper case
    assert created["user_id"] is None
    assert {k: created[k] for k in ("name", "organisation", "stakeholder_group", "gender")} == {
        k: ADA[k] for k in ("name", "organisation", "stakeholder_group", "gender")
    }
    assert await ok_json(await c.get(f"/api/v1/people/{created['id']}", headers=h)) == created

    account = await factory.user()
    updated = await ok_json(
        await c.patch(
            f"/api/v1/people/{created['id']}",
            json={"gender": None, "organisation": None, "user_id": account["id"]},
            headers=h,
        )
    )
    assert updated["gender"] is None
    assert updated["organisation"] == ""
    assert updated["user_id"] == account["id"]
    assert updated["name"] == ADA["name"]
    assert await ok_json(await c.get(f"/api/v1/people/{created['id']}", headers=h)) == updated

    r = await c.delete(f"/api/v1/people/{created['id']}", headers=h)
    assert r.status == 204
    await expect_error(await c.get(f"/api/v1/people/{created['id']}", headers=h), 404, "not_found")
    assert await count_rows(c, Person) == 0


async def test_list_people_search_and_pages(factory):
    c = factory.client
    h = await factory.organiser_headers()
    for name, org in (
        ("Grace Hopper", "Navy"),
        ("Alan Turing", "NPL"),
        ("Ada Byron", "Hopper Inc"),
    ):
        await ok_json(
            await c.post(
                "/api/v1/people", json=ADA | {"name": name, "organisation": org}, headers=h
            ),
            201,
        )
    page = await ok_json(await c.get("/api/v1/people", headers=h))
    assert page["total"] == 3
    assert [p["name"] for p in page["items"]] == ["Ada Byron", "Alan Turing", "Grace Hopper"]
    found = await ok_json(await c.get("/api/v1/people", params={"q": "hopper"}, headers=h))
    # Name or organisation, case-insensitive.
    assert {p["name"] for p in found["items"]} == {"Grace Hopper", "Ada Byron"}
    assert found["total"] == 2
    # LIKE wildcards in q are taken literally.
    none = await ok_json(await c.get("/api/v1/people", params={"q": "%"}, headers=h))
    assert none["total"] == 0
    second = await ok_json(
        await c.get("/api/v1/people", params={"limit": "1", "offset": "1"}, headers=h)
    )
    assert second["total"] == 3
    assert [p["name"] for p in second["items"]] == ["Alan Turing"]


async def test_person_validation(factory):
    c = factory.client
    h = await factory.organiser_headers()
    error = await expect_error(
        await c.post(
            "/api/v1/people",
            json=ADA | {"country": "XX", "stakeholder_group": "aliens", "gender": "robot"},
            headers=h,
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {
        ("body", "country"),
        ("body", "stakeholder_group"),
        ("body", "gender"),
    }
    error = await expect_error(
        await c.post("/api/v1/people", json=ADA | {"user_id": 4242}, headers=h),
        422,
        "unknown_reference",
    )
    assert locations(error) == {("body", "user_id")}
    person = await ok_json(await c.post("/api/v1/people", json=ADA, headers=h), 201)
    error = await expect_error(
        await c.patch(
            f"/api/v1/people/{person['id']}", json={"country": None, "name": None}, headers=h
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "country"), ("body", "name")}
    assert await count_rows(c, Person) == 1


async def test_an_account_links_to_one_person_only(factory):
    c = factory.client
    h = await factory.organiser_headers()
    account = await factory.user()
    first = await ok_json(
        await c.post("/api/v1/people", json=ADA | {"user_id": account["id"]}, headers=h), 201
    )
    await expect_error(
        await c.post("/api/v1/people", json=ADA | {"user_id": account["id"]}, headers=h),
        409,
        "duplicate",
    )
    # Re-saving the same link on the same person is fine.
    await ok_json(
        await c.patch(f"/api/v1/people/{first['id']}", json={"user_id": account["id"]}, headers=h)
    )
    assert await count_rows(c, Person) == 1


async def test_deleting_a_person_takes_them_off_every_panel(factory):
    prog = await factory.programme()
    speaker, moderator = prog["people"][0], prog["people"][1]
    s = await factory.session(prog, speaker_ids=[speaker["id"]], moderator_ids=[moderator["id"]])
    h = await factory.organiser_headers()
    r = await factory.client.delete(f"/api/v1/people/{speaker['id']}", headers=h)
    assert r.status == 204
    after = await ok_json(await factory.client.get(f"/api/v1/sessions/{s['id']}"))
    assert after["speakers"] == []
    assert [m["id"] for m in after["moderators"]] == [moderator["id"]]
    assert await count_rows(factory.client, SessionPerson) == 1
