"""The agenda in a real browser: register, filter, star; French; right-to-left; axe."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import Console, Server, new_context, unique_email
from tests.e2e.helpers import (
    assert_accessible,
    english_left,
    register_in_browser,
    session_ids_shown,
    visible_strings,
)


def _agenda_ids(server: Server, query: str) -> list[int]:
    status, out = server.api("GET", f"/api/v1/agenda?{query}")
    assert status == 200, out
    return [s["id"] for s in out["sessions"]]


def test_participant_registers_filters_and_stars(page: Page, server: Server) -> None:
    email = unique_email("amina")
    register_in_browser(page, "Amina Wanjiru", email, "a-strong-pass-1")
    expect(page).to_have_url(f"{server.url}/")

    # Every day, then the High-Level Track: the list is what the server answers for it.
    page.get_by_role("tab", name="All").click()
    page.get_by_label("Track").select_option("high_level")
    expected = _agenda_ids(server, "track=high_level&limit=100")
    expect(page.locator(".result-count")).to_have_text(f"{len(expected)} sessions")
    assert session_ids_shown(page) == expected
    assert len(expected) < _agenda_ids(server, "limit=1").__len__() or expected

    # Free text narrows it further, server-side, and lands in the URL (shareable).
    page.get_by_label("Search").fill("ceremony")
    narrowed = _agenda_ids(server, "track=high_level&q=ceremony&limit=100")
    assert 0 < len(narrowed) < len(expected)
    expect(page.locator(".result-count")).to_have_text(
        f"{len(narrowed)} session" + ("s" if len(narrowed) != 1 else "")
    )
    assert session_ids_shown(page) == narrowed
    expect(page).to_have_url(f"{server.url}/?day=all&track=high_level&q=ceremony")

    # Star the first one: pressed at once, still pressed after a reload, on the server too.
    first = narrowed[0]
    star = page.locator(f'button[data-star="{first}"]')
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(page.locator(f'button[data-star="{first}"]')).to_have_attribute("aria-pressed", "true")
    token = server.login(email, "a-strong-pass-1")
    status, schedule = server.api("GET", "/api/v1/me/schedule", token=token)
    assert status == 200
    assert [(i["session"]["id"], i["starred"]) for i in schedule] == [(first, True)]

    # My schedule lists it.
    page.get_by_role("link", name="My schedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My schedule")
    expect(page.locator(f'article[data-session="{first}"]')).to_be_visible()

    # The profile can be edited; logging out forgets the account in this tab.
    page.get_by_role("link", name=re.compile(r"your profile$")).click()
    page.get_by_label("Organisation").fill("Kenya ICT Action Network")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    status, me = server.api("GET", "/api/v1/me", token=token)
    assert me["organisation"] == "Kenya ICT Action Network"
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/schedule")
    expect(page.get_by_text("Log in to see your schedule.")).to_be_visible()


def test_french_switch_leaves_no_english_on_the_agenda(
    page: Page, server: Server, console: Console
) -> None:
    page.goto("/?day=all")
    expect(page.locator("article[data-session]").first).to_be_visible()
    page.get_by_label("Site language").select_option("fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".result-count")).to_contain_text("séances")
    left = english_left(visible_strings(page))
    assert left == [], f"English left on the French agenda: {left}"
    # The choice is remembered, and no key was missing from the table.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")
    assert not [m for m in console.messages if "i18n: missing key" in m]


def test_right_to_left_layout_mirrors(page: Page) -> None:
    page.goto("/?dir=rtl")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("article[data-session]").first).to_be_visible()
    brand = page.locator(".brand").bounding_box()
    tools = page.locator(".header-tools").bounding_box()
    filters = page.locator(".filters").bounding_box()
    results = page.locator(".results-col").bounding_box()
    assert brand and tools and filters and results
    assert brand["x"] > tools["x"], "the brand should sit at the right in RTL"
    assert filters["x"] > results["x"], "the filters should sit at the right in RTL"
    page.goto("/?dir=auto")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert (
        page.locator(".brand").bounding_box()["x"]
        < page.locator(".header-tools").bounding_box()["x"]
    )  # type: ignore[index]


def test_agenda_and_session_pages_pass_axe(browser: Browser, server: Server) -> None:
    context = new_context(browser, server, bypass_csp=True)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.locator("article[data-session]").first).to_be_visible()
        assert_accessible(page)
        page.locator("article[data-session] h3 a").first.click()
        expect(page.get_by_role("heading", name="About this session")).to_be_visible()
        assert_accessible(page)
        page.goto("/register")
        expect(page.get_by_label("Full name")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


def test_agenda_screenshots(context: BrowserContext, page: Page, screenshot_dir: Path) -> None:
    page.goto("/")
    expect(page.locator("article[data-session]").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "agenda.png"))
    page.locator("article[data-session] h3 a").first.click()
    expect(page.get_by_role("heading", name="About this session")).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "session.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    expect(page.locator("article[data-session]").first).to_be_visible()
    page.screenshot(path=str(screenshot_dir / "agenda-mobile.png"))
    for name in ("agenda.png", "session.png", "agenda-mobile.png"):
        assert (screenshot_dir / name).stat().st_size > 10_000


def test_keyboard_only_skip_link_and_day_tabs(page: Page, server: Server) -> None:
    page.goto("/")
    expect(page.locator("article[data-session]").first).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0, "the skip link must show when it has focus"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    selected = page.locator('[role="tab"][aria-selected="true"]')
    before = selected.get_attribute("id")
    selected.focus()
    page.keyboard.press("ArrowRight")
    after = page.locator('[role="tab"][aria-selected="true"]')
    expect(after).not_to_have_id(before or "")
    expect(after).to_be_focused()
    # A visible focus ring, not the browser default removed.
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    assert "day=" in page.url


def test_calendar_feed_link_from_my_schedule(browser: Browser, server: Server) -> None:
    email = unique_email("cal")
    status, out = server.api(
        "POST",
        "/api/v1/auth/register",
        {
            "name": "Carla Calendar",
            "email": email,
            "password": "calendar-pass-1",
            "organisation": "Time Zone Society",
            "country": "BR",
            "stakeholder_group": "other",
        },
    )
    assert status == 201, out
    first = _agenda_ids(server, "limit=1")[0]
    assert server.api("POST", f"/api/v1/sessions/{first}/star", None, out["token"])[0] == 200
    title = server.api("GET", f"/api/v1/sessions/{first}")[1]["title"]
    context = new_context(browser, server)
    try:
        context.request.post(
            "/api/v1/auth/login",
            data={"email": email, "password": "calendar-pass-1"},
            headers={"Origin": server.url},
        )
        page = context.new_page()
        page.goto("/schedule")
        expect(page.locator(f'article[data-session="{first}"]')).to_be_visible()
        page.get_by_role("button", name="Get my calendar link").click()
        link = page.get_by_label("Calendar subscription link")
        expect(link).to_have_value(re.compile(r"^http://127\.0\.0\.1:\d+/api/v1/calendar/.+\.ics$"))
        feed = link.input_value()
        with urllib.request.urlopen(feed, timeout=10) as response:
            body = response.read().decode()
        assert body.startswith("BEGIN:VCALENDAR")
        assert title[:40] in body.replace("\r\n ", "")
    finally:
        context.close()
