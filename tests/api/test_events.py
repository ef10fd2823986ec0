"""Event settings: create, read, update, delete, list."""

from __future__ import annotations

from tests.api.helpers import expect_error, locations, ok_json


async def test_event_round_trip(factory):
    c = factory.client
    h = await factory.organiser_headers()
    event = await factory.event(
        slug="wsis-2021",
        registration_opens_at="2021-01-04T00:00:00Z",
        registration_closes_at="2021-05-21T21:59:59+00:00",
    )
    assert event["slug"] == "wsis-2021"
    assert event["timezone"] == "Europe/Geneva"
    assert event["final_start"] == "2021-05-17"
    assert event["languages"] == ["en", "fr"]

    got = await ok_json(await c.get(f"/api/v1/events/{event['id']}"))
    assert got == event
    assert await ok_json(await c.get("/api/v1/event")) == event

    patched = await ok_json(
        await c.patch(
            f"/api/v1/events/{event['id']}",
            json={"name": "WSIS Forum 2022", "timezone": "America/New_York", "languages": ["es"]},
            headers=h,
        )
    )
    assert patched["name"] == "WSIS Forum 2022"
    assert patched["timezone"] == "America/New_York"
    assert patched["languages"] == ["es"]
    assert patched["slug"] == "wsis-2021"  # untouched fields stay
    assert await ok_json(await c.get(f"/api/v1/events/{event['id']}")) == patched

    r = await c.delete(f"/api/v1/events/{event['id']}", headers=h)
    assert r.status == 204
    await expect_error(await c.get(f"/api/v1/events/{event['id']}"), 404, "not_found")
    assert await ok_json(await c.get("/api/v1/events")) == []


async def test_list_events_and_current_is_latest_final_week(factory):
    c = factory.client
    older = await factory.event(final_start="2020-05-17", final_end="2020-05-21")
    newer = await factory.event()
    listed = await ok_json(await c.get("/api/v1/events"))
    assert [e["id"] for e in listed] == [older["id"], newer["id"]]
    assert (await ok_json(await c.get("/api/v1/event")))["id"] == newer["id"]


async def test_no_event_yet_is_a_json_404(client):
    await expect_error(await client.get("/api/v1/event"), 404, "no_event")
    await expect_error(await client.get("/api/v1/agenda"), 404, "no_event")


async def test_duplicate_slug_is_409(factory):
    await factory.event(slug="same")
    h = await factory.organiser_headers()
    body = {
        "slug": "same",
        "name": "x",
        "timezone": "UTC",
        "final_start": "2021-05-17",
        "final_end": "2021-05-21",
    }
    await expect_error(
        await factory.client.post("/api/v1/events", json=body, headers=h), 409, "duplicate"
    )
    other = await factory.event(slug="other")
    await expect_error(
        await factory.client.patch(
            f"/api/v1/events/{other['id']}", json={"slug": "same"}, headers=h
        ),
        409,
        "duplicate",
    )


async def test_event_dates_must_be_ordered(factory):
    h = await factory.organiser_headers()
    c = factory.client
    body = {
        "slug": "backwards",
        "name": "x",
        "timezone": "Europe/Geneva",
        "final_start": "2021-05-21",
        "final_end": "2021-05-17",
    }
    error = await expect_error(
        await c.post("/api/v1/events", json=body, headers=h), 422, "validation_error"
    )
    assert "final_start" in str(error["details"])
    event = await factory.event()
    # A patch is checked against the stored values it does not change.
    error = await expect_error(
        await c.patch(f"/api/v1/events/{event['id']}", json={"final_end": "2021-05-01"}, headers=h),
        422,
        "validation_error",
    )
    assert error["details"]
    error = await expect_error(
        await c.patch(
            f"/api/v1/events/{event['id']}",
            json={"registration_opens_at": "2021-01-04T00:00:00"},
            headers=h,
        ),
        422,
        "validation_error",
    )
    assert "offset" in error["message"]
    assert (await ok_json(await c.get(f"/api/v1/events/{event['id']}")))[
        "final_end"
    ] == "2021-05-21"


async def test_patch_null_for_a_required_field_is_422_not_a_crash(factory):
    h = await factory.organiser_headers()
    event = await factory.event()
    error = await expect_error(
        await factory.client.patch(
            f"/api/v1/events/{event['id']}", json={"name": None, "final_start": None}, headers=h
        ),
        422,
        "validation_error",
    )
    assert locations(error) == {("body", "name"), ("body", "final_start")}
    # Nullable settings may be cleared.
    cleared = await ok_json(
        await factory.client.patch(
            f"/api/v1/events/{event['id']}",
            json={"pre_events_start": None, "pre_events_end": None},
            headers=h,
        )
    )
    assert cleared["pre_events_start"] is None and cleared["pre_events_end"] is None


async def test_event_with_sessions_cannot_be_deleted(factory):
    prog = await factory.programme()
    await factory.session(prog)
    h = await factory.organiser_headers()
    await expect_error(
        await factory.client.delete(f"/api/v1/events/{prog['event']['id']}", headers=h),
        409,
        "in_use",
    )
    await ok_json(await factory.client.get(f"/api/v1/events/{prog['event']['id']}"))
