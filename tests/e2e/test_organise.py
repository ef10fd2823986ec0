"""The organiser console in a real browser: a clash shown as it arises and refused
with the server's 409, a move on the timeline, an import checked before it is
run, the reports as charts (axe-clean), screenshots."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ORGANISER, Server, new_context
from tests.e2e.helpers import assert_accessible


def _login(page: Page) -> None:
    page.goto("/login?next=/organise")
    page.get_by_label("Email").fill(ORGANISER["email"])
    page.get_by_label("Password").fill(ORGANISER["password"])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")


def _a_session_on(server: Server, day: str) -> dict[str, object]:
    status, agenda = server.api("GET", f"/api/v1/agenda?day={day}")
    assert status == 200
    return next(
        s for s in agenda["sessions"] if s["duration_min"] <= 120 and s["state"] != "cancelled"
    )


def test_editor_shows_a_clash_then_saves_and_the_timeline_moves_it(
    browser: Browser, server: Server, screenshot_dir: Path
) -> None:
    context = new_context(browser, server)
    page = context.new_page()
    try:
        _login(page)
        event = server.api("GET", "/api/v1/event")[1]
        day = (date.fromisoformat(event["final_start"]) + timedelta(days=1)).isoformat()
        taken = _a_session_on(server, day)
        title = f"Clashing workshop {uuid.uuid4().hex[:4]}"

        page.get_by_label("Day").select_option(day)
        page.get_by_role("button", name="New session").click()
        dialog = page.get_by_role("dialog", name="New session")
        dialog.get_by_label("Title").fill(title)
        dialog.get_by_label("Room").select_option(str(taken["room"]["id"]))  # type: ignore[index]
        dialog.get_by_label(re.compile("^Start")).fill(str(taken["start_event"])[:16])
        dialog.get_by_label("Duration (minutes)").fill("60")
        # The clash shows while typing, before anything is sent.
        preview = dialog.locator(".clash-preview")
        expect(preview).to_contain_text(str(taken["title"]))
        dialog.get_by_role("button", name="Create the session").click()
        expect(dialog.locator(".form-failure")).to_contain_text(
            "Not saved: this clashes with the programme."
        )
        expect(dialog.locator(".form-failure .conflicts")).to_contain_text(str(taken["title"]))

        dialog.get_by_label(re.compile("^Start")).fill(f"{day}T22:30")
        expect(preview).to_have_count(0)
        dialog.get_by_role("button", name="Create the session").click()
        expect(
            page.locator(".notice-success", has_text=f"“{title}” is in the programme.")
        ).to_be_visible()
        status, found = server.api("GET", f"/api/v1/agenda?day={day}&q={title.replace(' ', '+')}")
        assert status == 200 and found["total"] == 1
        created = found["sessions"][0]
        assert created["start_event"][11:16] == "22:30"

        # On the timeline, drag it one hour earlier.
        page.get_by_role("link", name="Timeline").click()
        page.get_by_label("Day", exact=True).select_option(day)
        block = page.locator(f'[data-block="{created["id"]}"]')
        expect(block).to_be_visible()
        block.scroll_into_view_if_needed()
        hours = page.locator(".tl-head .tl-hour")
        first, second = hours.nth(0).bounding_box(), hours.nth(1).bounding_box()
        assert first and second
        hour_px = second["x"] - first["x"]
        box = block.bounding_box()
        assert box
        x, y = box["x"] + 10, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - hour_px / 2, y, steps=4)
        page.mouse.move(x - hour_px, y, steps=4)
        page.mouse.up()
        expect(page.locator(".notice-success", has_text="now starts at 21:30")).to_be_visible()
        status, moved = server.api("GET", f"/api/v1/sessions/{created['id']}")
        assert moved["start_event"][11:16] == "21:30"
        page.screenshot(path=str(screenshot_dir / "organiser-timeline.png"))
    finally:
        context.close()


def test_import_is_checked_before_it_runs(browser: Browser, server: Server, tmp_path: Path) -> None:
    event = server.api("GET", "/api/v1/event")[1]
    day = (date.fromisoformat(event["final_start"]) + timedelta(days=2)).isoformat()
    rooms = server.api("GET", "/api/v1/rooms")[1]
    room = rooms[0]["slug"]
    tag = uuid.uuid4().hex[:4]
    header = "key,title,track,type,room,date,start,duration_min,languages\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        header
        + f"i{tag}a,Imported good {tag},forum,thematic_workshop,{room},{day},23:00,30,en\n"
        + f"i{tag}b,Imported bad {tag},forum,thematic_workshop,no-such-room,{day},23:00,30,en\n",
        encoding="utf-8",
    )
    good = tmp_path / "good.csv"
    good.write_text(
        header + f"i{tag}a,Imported good {tag},forum,thematic_workshop,{room},{day},23:00,30,en\n",
        encoding="utf-8",
    )
    context = new_context(browser, server)
    page = context.new_page()
    try:
        _login(page)
        page.get_by_role("link", name="Import").click()
        page.get_by_label("File to import").set_input_files(str(bad))
        page.get_by_role("button", name="Check the file").click()
        report = page.locator(".import-report")
        expect(report).to_contain_text("1 problem in the file: nothing will be imported.")
        expect(report.locator("tbody tr")).to_have_count(1)
        expect(report.locator("tbody tr")).to_contain_text("room")
        expect(page.get_by_role("button", name="Import", exact=True)).to_be_disabled()

        page.get_by_label("File to import").set_input_files(str(good))
        page.get_by_role("button", name="Check the file").click()
        expect(report).to_contain_text("The file is valid: nothing has been written yet.")
        _, before = server.api("GET", f"/api/v1/agenda?q=Imported+good+{tag}")
        assert before["total"] == 0
        page.get_by_role("button", name="Import", exact=True).click()
        expect(report).to_contain_text("The programme is updated.")
        _, after = server.api("GET", f"/api/v1/agenda?q=Imported+good+{tag}")
        assert after["total"] == 1
    finally:
        context.close()


def test_reports_are_charts_and_pass_axe(
    browser: Browser, server: Server, screenshot_dir: Path
) -> None:
    context = new_context(browser, server, bypass_csp=True)
    page = context.new_page()
    try:
        _login(page)
        page.get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        expect(page.locator("figure.chart")).to_have_count(5)
        expect(page.locator(".stat", has_text="Women among speakers")).to_contain_text("%")
        expect(page.locator("figure.chart", has_text="Gender balance by track")).to_contain_text(
            "High-Level Track"
        )
        assert_accessible(page)
        page.screenshot(path=str(screenshot_dir / "organiser-reports.png"), full_page=True)
    finally:
        context.close()
