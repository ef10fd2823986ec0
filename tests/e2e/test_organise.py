"""The organiser console in a real browser: a clash shown as it arises and refused
with the server's 409, a move on the timeline, an import checked before it is
run, the reports as charts with the attendance of a session real clients watched
(axe-clean), screenshots."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ORGANISER, Server, new_context
from tests.e2e.helpers import assert_accessible
from tests.e2e.stage import live_stage, register


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


class Viewers:
    """Real Socket.IO clients (python-socketio) in the live room, on an event loop of
    their own thread: Playwright's sync API holds this thread's."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clients: list[socketio.AsyncClient] = []

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def join(self, token: str) -> socketio.AsyncClient:
        client = socketio.AsyncClient(reconnection=False)
        self._run(
            client.connect(
                self.url,
                namespaces=["/live"],
                auth={"token": token},
                transports=["websocket"],
                wait_timeout=10,
            )
        )
        self.clients.append(client)
        return client

    def leave(self, client: socketio.AsyncClient) -> None:
        if client.connected:
            self._run(client.disconnect())

    def close(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):  # gone with the server: nothing to close
                self.leave(client)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not in time: {what}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def watched(server: Server) -> Iterator[dict[str, Any]]:
    """A live session three people watched, then one stayed: the curve has a peak of 3
    in one sampling slot and 1 in a later one."""
    stage = live_stage(server, "Watched: community networks in the last mile")
    organiser = server.login(ORGANISER["email"], ORGANISER["password"])
    sid = stage.session_id
    viewers = Viewers(server.url)
    try:
        clients = []
        for name in ("Vera Viewer", "Wen Watcher", "Xavier Onlooker"):
            account = register(server, name)
            status, out = server.api("POST", f"/api/v1/sessions/{sid}/join", None, account.token)
            assert status == 200, out
            clients.append(viewers.join(out["token"]))

        def line() -> dict[str, Any] | None:
            status, report = server.api("GET", "/api/v1/reports/attendance", None, organiser)
            assert status == 200, report
            return next((x for x in report["sessions"] if x["id"] == sid), None)

        _until(lambda: (found := line()) and found["peak_viewers"] == 3, 30, "a peak of 3")
        for client in clients[1:]:
            viewers.leave(client)

        def series() -> dict[str, Any]:
            status, out = server.api("GET", f"/api/v1/sessions/{sid}/attendance", None, organiser)
            assert status == 200, out
            return out

        # The e2e server's slots are 5 s (conftest): the next one sees the one who stayed.
        _until(lambda: [p["viewers"] for p in series()["samples"]][-1:] == [1], 30, "1 after")
        yield {"session": stage.session, "series": series(), "line": line()}
    finally:
        viewers.close()
        stage.stop()


def test_reports_are_charts_and_pass_axe(
    browser: Browser, server: Server, screenshot_dir: Path, watched: dict[str, Any]
) -> None:
    series = watched["series"]
    assert series["peak_viewers"] == 3 and series["unique_viewers"] == 3
    assert max(p["viewers"] for p in series["samples"]) == 3
    context = new_context(browser, server, bypass_csp=True)
    page = context.new_page()
    try:
        _login(page)
        page.get_by_role("link", name="Reports").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
        expect(page.locator(".stat", has_text="Women among speakers")).to_contain_text("%")
        expect(page.locator("figure.chart", has_text="Gender balance by track")).to_contain_text(
            "High-Level Track"
        )
        # Attendance: the watched session in the table, and its curve on request.
        title = str(watched["session"]["title"])
        section = page.locator("section.attendance")
        row = section.locator("tbody tr", has_text=title)
        expect(row.locator("td").nth(2)).to_have_text("3")
        expect(row.locator("td").nth(4)).to_have_text("3")
        row.get_by_role("button", name=f"Show the curve of {title}").click()
        expect(row.get_by_role("button")).to_have_attribute("aria-pressed", "true")
        chart = section.locator("figure.time-chart")
        expect(chart.locator("figcaption")).to_have_text(f"People in the room over time: {title}")
        curve = chart.get_by_role("img", name=f"People in the room over time: {title}")
        expect(curve).to_be_visible()
        expect(curve.locator("circle.tc-dot")).to_have_count(len(series["samples"]))
        expect(chart.locator("desc")).to_contain_text("Peak of 3 people at once")
        chart.get_by_text("Show the figures as a table").click()
        expect(chart.locator("tbody tr")).to_have_count(len(series["samples"]))
        expect(chart.locator("tbody td").filter(has_text=re.compile(r"^3$")).first).to_be_attached()
        expect(page.locator("figure.chart")).to_have_count(6)
        assert_accessible(page)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky header stays at the top
        page.screenshot(path=str(screenshot_dir / "organiser-reports.png"), full_page=True)
    finally:
        context.close()
