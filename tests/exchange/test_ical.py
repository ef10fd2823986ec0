"""iCalendar exports parsed back: times, zone, UIDs, SEQUENCE, cancellation, personal feeds."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar

from tests.api.helpers import expect_error

PUBLIC = "http://127.0.0.1:8080"  # the test settings' public_url


async def _calendar(client, path: str, status: int = 200, **kwargs) -> Calendar:
    r = await client.get(path, **kwargs)
    text = await r.text()
    assert r.status == status, text
    assert r.content_type == "text/calendar"
    return Calendar.from_ical(text)


def _events(cal: Calendar) -> dict[str, object]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def _utc(event, key: str) -> datetime:
    return event.decoded(key).astimezone(UTC)


async def test_session_ics_carries_zone_times_uid_and_join_page(client, factory):
    prog = await factory.programme()
    summer = await factory.session(prog, title="After the switch", start="2021-03-30T14:00:00")
    winter = await factory.session(
        prog, title="Before the switch", start="2021-03-10T14:00:00", duration_min=90
    )

    cal = await _calendar(client, f"/api/v1/sessions/{summer['id']}.ics")
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Geneva"]
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"session-{summer['id']}@127.0.0.1"
    assert event["DTSTART"].params["TZID"] == "Europe/Geneva"
    # Read through the file's own VTIMEZONE: 14:00 in Geneva is 12:00 UTC in summer time…
    assert _utc(event, "DTSTART") == datetime(2021, 3, 30, 12, 0, tzinfo=UTC)
    assert _utc(event, "DTEND") == datetime(2021, 3, 30, 13, 0, tzinfo=UTC)
    assert str(event["URL"]) == f"{PUBLIC}/sessions/{summer['id']}"
    assert str(event["SUMMARY"]) == "After the switch"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("SEQUENCE") == 1
    assert "LAST-MODIFIED" in event and "DTSTAMP" in event
    assert f"{PUBLIC}/sessions/{summer['id']}" in str(event["DESCRIPTION"])

    cal = await _calendar(client, f"/api/v1/sessions/{winter['id']}.ics")
    (event,) = cal.walk("VEVENT")
    # …and 13:00 UTC in winter time, before the 28 March switch.
    assert _utc(event, "DTSTART") == datetime(2021, 3, 10, 13, 0, tzinfo=UTC)
    assert _utc(event, "DTEND") == datetime(2021, 3, 10, 14, 30, tzinfo=UTC)


async def test_a_change_bumps_sequence_and_a_cancellation_says_so(client, factory):
    prog = await factory.programme()
    x = await factory.session(prog, title="Draft title")
    headers = await factory.organiser_headers()
    path = f"/api/v1/sessions/{x['id']}.ics"
    (first,) = (await _calendar(client, path)).walk("VEVENT")

    r = await client.patch(
        f"/api/v1/sessions/{x['id']}",
        json={"title": "Final title", "start": "2021-05-18T11:00:00"},
        headers=headers,
    )
    assert r.status == 200
    (moved,) = (await _calendar(client, path)).walk("VEVENT")
    assert moved["UID"] == first["UID"]
    assert moved.decoded("SEQUENCE") == first.decoded("SEQUENCE") + 1
    assert str(moved["SUMMARY"]) == "Final title"
    assert _utc(moved, "DTSTART") == datetime(2021, 5, 18, 9, 0, tzinfo=UTC)

    r = await client.post(f"/api/v1/sessions/{x['id']}/cancel", headers=headers)
    assert r.status == 200
    (cancelled,) = (await _calendar(client, path)).walk("VEVENT")
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("SEQUENCE") == moved.decoded("SEQUENCE") + 1
    assert cancelled["UID"] == first["UID"]


async def test_agenda_ics_honours_the_agenda_filters(client, factory):
    prog = await factory.programme()
    room1, room2 = prog["rooms"]
    a = await factory.session(prog, title="Water and data", room_id=room1["id"])
    b = await factory.session(prog, title="Roads", room_id=room2["id"])
    c = await factory.session(
        prog, title="Data in schools", room_id=room2["id"], start="2021-05-19T10:00:00"
    )

    everything = _events(await _calendar(client, "/api/v1/agenda.ics"))
    assert set(everything) == {f"session-{x['id']}@127.0.0.1" for x in (a, b, c)}

    for params in ({"room": room2["slug"]}, {"q": "data"}, {"day": "2021-05-19"}):
        agenda = await (await client.get("/api/v1/agenda", params=params)).json()
        ics = _events(await _calendar(client, "/api/v1/agenda.ics", params=params))
        assert set(ics) == {f"session-{x['id']}@127.0.0.1" for x in agenda["sessions"]}, params
        assert 0 < len(ics) < 3, params

    r = await client.get("/api/v1/agenda.ics", params={"sdg": "99"})
    await expect_error(r, 422, "validation_error")


async def test_unknown_session_ics_is_a_json_404(client, factory):
    await factory.programme()
    await expect_error(await client.get("/api/v1/sessions/999999.ics"), 404, "not_found")


async def test_an_event_in_utc_needs_no_vtimezone(client, factory):
    event = await factory.event(timezone="UTC")
    track = await factory.post(
        "/api/v1/tracks", {"event_id": event["id"], "slug": "t", "name": "T"}
    )
    stype = await factory.post(
        "/api/v1/session-types",
        {
            "event_id": event["id"],
            "key": "talk",
            "name": "Talk",
            "default_duration_min": 30,
            "interactive": False,
        },
    )
    room = await factory.post(
        "/api/v1/rooms", {"event_id": event["id"], "slug": "r", "name": "R", "capacity": 10}
    )
    x = await factory.session(
        {"track": track, "type": stype, "rooms": [room]}, start="2021-05-18T10:00:00"
    )
    cal = await _calendar(client, f"/api/v1/sessions/{x['id']}.ics")
    assert cal.walk("VTIMEZONE") == []
    (ev,) = cal.walk("VEVENT")
    assert ev.decoded("DTSTART") == datetime(2021, 5, 18, 10, 0, tzinfo=UTC)


async def test_personal_feed_is_secret_revocable_and_follows_stars_and_signups(client, factory):
    prog = await factory.programme()  # its session type seats 2
    starred = await factory.session(prog, title="Starred", start="2021-05-18T09:00:00")
    booked = await factory.session(prog, title="Booked", start="2021-05-18T11:00:00")
    full = await factory.session(prog, title="Full", start="2021-05-18T13:00:00")
    await factory.session(prog, title="Not mine", start="2021-05-18T15:00:00")
    me = await factory.user()
    h = me["headers"]

    await expect_error(await client.get("/api/v1/me/calendar"), 401, "unauthorized")
    assert (await client.post(f"/api/v1/sessions/{starred['id']}/star", headers=h)).status == 200
    assert (await client.post(f"/api/v1/sessions/{booked['id']}/signup", headers=h)).status == 201
    for _ in range(2):
        other = await factory.user()
        r = await client.post(f"/api/v1/sessions/{full['id']}/signup", headers=other["headers"])
        assert (await r.json())["status"] == "confirmed"
    r = await client.post(f"/api/v1/sessions/{full['id']}/signup", headers=h)
    assert (await r.json())["status"] == "waitlisted"

    r = await client.get("/api/v1/me/calendar", headers=h)
    assert r.status == 200
    feed = await r.json()
    assert feed["url"].startswith(f"{PUBLIC}/api/v1/calendar/") and feed["url"].endswith(".ics")
    assert feed["webcal_url"] == "webcal://" + feed["url"].removeprefix("http://")
    again = await (await client.get("/api/v1/me/calendar", headers=h)).json()
    assert again["url"] == feed["url"]  # the same URL until rotated
    path = feed["url"].removeprefix(PUBLIC)

    cal = await _calendar(client, path)  # no credentials: the secret is the credential
    events = _events(cal)
    assert set(events) == {f"session-{x['id']}@127.0.0.1" for x in (starred, booked, full)}
    assert str(events[f"session-{booked['id']}@127.0.0.1"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"session-{full['id']}@127.0.0.1"]["STATUS"]) == "TENTATIVE"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Geneva"]
    assert "REFRESH-INTERVAL" in cal

    r = await client.post("/api/v1/me/calendar/rotate", headers=h)
    assert r.status == 200
    rotated = await r.json()
    assert rotated["url"] != feed["url"]
    await expect_error(await client.get(path), 404, "not_found")
    await _calendar(client, rotated["url"].removeprefix(PUBLIC))
    # Someone else's token never opens the feed.
    stranger = await factory.user()
    mine = await (await client.get("/api/v1/me/calendar", headers=stranger["headers"])).json()
    assert mine["url"] != rotated["url"]
    assert _events(await _calendar(client, mine["url"].removeprefix(PUBLIC))) == {}

    r = await client.delete("/api/v1/me/calendar", headers=h)
    assert r.status == 204
    await expect_error(await client.get(rotated["url"].removeprefix(PUBLIC)), 404, "not_found")
    await expect_error(await client.get("/api/v1/calendar/x.ics"), 404, "not_found")
