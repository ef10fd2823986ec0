"""Badges that change while the agenda is open: pushed over /agenda, no reload."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, WebSocket, expect

from server.domain.timezones import zone
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


def _import_csv(server: Server, token: str, slug: str, rows: list[dict[str, str]]) -> Any:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    request = urllib.request.Request(
        f"{server.url}/api/v1/import/csv?event={slug}", data=out.getvalue().encode(), method="POST"
    )
    request.add_header("Content-Type", "text/csv")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        return json.loads(response.read())


def _wait_for(page: Page, check: Callable[[], bool], seconds: float = 10) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out after {seconds} s")


def test_a_large_import_is_one_bulk_push_the_open_pages_refetch_on(
    browser: Browser, server: Server
) -> None:
    organiser = server.login(ORGANISER["email"], ORGANISER["password"])
    tag = uuid.uuid4().hex[:6]
    event = server.api("GET", "/api/v1/event")[1]
    track = server.api("GET", "/api/v1/tracks")[1][0]
    stype = server.api("GET", "/api/v1/session-types")[1][0]
    rooms: list[dict[str, str]] = []

    def add_room() -> None:  # a new room sends no push: the agenda hears of it by the import
        i = len(rooms)
        status, room = server.api(
            "POST",
            "/api/v1/rooms",
            {"slug": f"bulk-{tag}-{i}", "name": f"Bulk {tag} {i}", "capacity": 50},
            organiser,
        )
        assert status == 201, room
        rooms.append(room)

    for _ in range(4):
        add_room()
    local = zone(event["timezone"])
    base = (datetime.now(UTC) + timedelta(hours=1)).astimezone(local).replace(second=0)
    if (base + timedelta(hours=1)).date() != base.date():  # all of them on one agenda day
        base = (base + timedelta(hours=2)).replace(hour=0, minute=30)
    day = base.date().isoformat()

    def rows(suffix: str) -> list[dict[str, str]]:
        return [
            {
                "key": f"bulk-{tag}-{i}",
                "title": f"Bulk {tag} {i}{suffix}",
                "track": track["slug"],
                "type": stype["key"],
                "room": rooms[i % 5]["slug"],
                "date": day,
                "start": (base + timedelta(minutes=10 * (i // 5))).strftime("%H:%M"),
                "duration_min": "10",
            }
            for i in range(25)
        ]

    context = new_context(browser, server)
    try:
        agenda, session_page = context.new_page(), context.new_page()
        frames: list[str] = []

        def watch(ws: WebSocket) -> None:
            ws.on("framereceived", lambda payload: frames.append(str(payload)))

        agenda.on("websocket", watch)
        agenda.goto(f"/?day={day}&q=Bulk+{tag}")
        cards = agenda.locator("article[data-session]")
        expect(agenda.locator(".empty")).to_be_visible()  # loaded: nothing matches yet
        _wait_for(agenda, lambda: any(f.startswith("40/agenda") for f in frames))  # listening
        agenda.evaluate("() => { window.__sameDocument = true; }")
        room_filter = agenda.get_by_label("Room")
        expect(room_filter.locator("option", has_text=f"Bulk {tag} 3")).to_have_count(1)
        add_room()  # after the page loaded: its filter does not list it yet
        expect(room_filter.locator("option", has_text=f"Bulk {tag} 4")).to_have_count(0)
        report = _import_csv(server, organiser, event["slug"], rows(""))
        assert report["created"] == 25
        expect(cards).to_have_count(25, timeout=15_000)  # refetched, no reload
        # The bulk push also refreshed the filters' lists: the new room can be chosen.
        expect(room_filter.locator("option", has_text=f"Bulk {tag} 4")).to_have_count(1)
        assert agenda.evaluate("() => window.__sameDocument") is True
        # Frame events reach this process on their own schedule: give them a moment.
        _wait_for(agenda, lambda: any('"agenda:changed"' in f for f in frames))
        agenda.wait_for_timeout(500)  # and any further push
        changed = [f for f in frames if '"agenda:changed"' in f]
        assert len(changed) == 1 and '"kind":"bulk"' in changed[0], changed

        # A session page open on one of them refetches it on the next bulk push.
        first = report["sessions"][0]["id"]
        session_page.goto(f"/sessions/{first}")
        expect(session_page.get_by_role("heading", name=f"Bulk {tag} 0")).to_be_visible()
        session_page.evaluate("() => { window.__sameDocument = true; }")
        again = _import_csv(server, organiser, event["slug"], rows(" (revised)"))
        assert again["updated"] == 25
        expect(session_page.get_by_role("heading", name=f"Bulk {tag} 0 (revised)")).to_be_visible(
            timeout=15_000
        )
        assert session_page.evaluate("() => window.__sameDocument") is True
        expect(agenda.get_by_text(f"Bulk {tag} 24 (revised)")).to_be_visible(timeout=15_000)
    finally:
        context.close()
