"""Badges that change while the agenda is open: pushed over /agenda, no reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ORGANISER, Server, new_context
from tests.e2e.stage import live_stage, register


def test_live_badge_turns_to_ended_and_starting_soon_appears(page: Page, server: Server) -> None:
    stage = live_stage(server, "Badge watch: live then ended")
    organiser = server.login(ORGANISER["email"], ORGANISER["password"])
    soon_start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=20)
    status, room = server.api(
        "POST",
        "/api/v1/rooms",
        {"slug": f"badge-{stage.session_id}", "name": "Badge room", "capacity": 50},
        organiser,
    )
    assert status == 201, room
    status, soon = server.api(
        "POST",
        "/api/v1/sessions",
        {
            "title": "Badge watch: starting soon",
            "track_id": stage.session["track"]["id"],
            "type_id": stage.session["type"]["id"],
            "room_id": room["id"],
            "start": soon_start.isoformat(),
            "duration_min": 30,
        },
        organiser,
    )
    assert status == 201, soon

    page.goto(f"/?day={stage.session['start_event'][:10]}&q=Badge+watch")
    live_card = page.locator(f'article[data-session="{stage.session_id}"]')
    expect(live_card.locator("[data-badge]")).to_have_attribute("data-badge", "live")
    soon_card = page.locator(f'article[data-session="{soon["id"]}"]')
    expect(soon_card).to_be_visible()
    expect(soon_card.locator("[data-badge]")).to_have_count(0)
    page.evaluate("() => { window.__sameDocument = true; }")

    # The lobby opens 15 minutes before: move the second session to start in 10.
    status, moved = server.api(
        "PATCH",
        f"/api/v1/sessions/{soon['id']}",
        {"start": (soon_start - timedelta(minutes=10)).isoformat(), "duration_min": 30},
        organiser,
    )
    assert status == 200, moved
    expect(soon_card.locator("[data-badge]")).to_have_attribute(
        "data-badge", "soon", timeout=15_000
    )

    # The moderator ends the live one: the push reaches the open page.
    status, ended = server.api(
        "POST", f"/api/v1/sessions/{stage.session_id}/end-now", None, stage.moderator.token
    )
    assert status == 200, ended
    expect(live_card.locator("[data-badge]")).to_have_attribute(
        "data-badge", "ended", timeout=15_000
    )
    expect(live_card.locator("[data-badge]")).to_have_text("Ended")
    assert page.evaluate("() => window.__sameDocument") is True


def test_reminder_reaches_the_open_tab_of_a_person_who_starred(
    browser: Browser, server: Server
) -> None:
    organiser = server.login(ORGANISER["email"], ORGANISER["password"])
    person = register(server, "Rita Reminded")
    status, room = server.api(
        "POST",
        "/api/v1/rooms",
        {"slug": f"remind-{person.user['id']}", "name": "Reminder room", "capacity": 50},
        organiser,
    )
    assert status == 201, room
    tracks = server.api("GET", "/api/v1/tracks")[1]
    types = server.api("GET", "/api/v1/session-types")[1]
    # The reminder is due 15 minutes before the start: a few seconds from now.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=15, seconds=8)
    status, session = server.api(
        "POST",
        "/api/v1/sessions",
        {
            "title": "Reminder: the session you starred",
            "track_id": tracks[0]["id"],
            "type_id": types[0]["id"],
            "room_id": room["id"],
            "start": start.isoformat(),
            "duration_min": 30,
        },
        organiser,
    )
    assert status == 201, session
    assert (
        server.api("POST", f"/api/v1/sessions/{session['id']}/star", None, person.token)[0] == 200
    )

    context = new_context(browser, server)
    try:
        response = context.request.post(
            "/api/v1/auth/login",
            data={"email": person.email, "password": person.password},
            headers={"Origin": server.url},
        )
        assert response.status == 200
        page = context.new_page()
        page.goto("/")
        expect(page.locator("article[data-session]").first).to_be_visible()
        reminder = page.locator(".reminder", has_text="Reminder: the session you starred")
        expect(reminder).to_be_visible(timeout=30_000)
        expect(reminder).to_contain_text("starts in 15 minutes")
        reminder.get_by_role("link", name="Open").click()
        expect(page).to_have_url(f"{server.url}/sessions/{session['id']}")
    finally:
        context.close()
