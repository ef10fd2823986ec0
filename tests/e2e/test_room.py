"""The live room in real browsers: join when live and watch the relay (two language
channels), chat between two browsers with resume, a moderator deleting a message,
a poll whose tallies move everywhere, captions, inert HTML, axe, screenshots."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from tests.e2e.conftest import Server, new_context
from tests.e2e.helpers import assert_accessible
from tests.e2e.stage import Account, Stage, live_stage, register

PLAYING = """
() => { const v = document.querySelector('video[data-player]');
        return v !== null && v.readyState >= 2 && v.currentTime > 1.5; }
"""
VIDEO_STATE = """
() => { const v = document.querySelector('video[data-player]');
        if (v === null) return null;
        const ranges = [];
        for (let i = 0; i < v.buffered.length; i++) ranges.push([v.buffered.start(i), v.buffered.end(i)]);
        return { readyState: v.readyState, paused: v.paused, currentTime: v.currentTime,
                 buffered: ranges, error: v.error && v.error.message,
                 problem: document.querySelector('.player-problem')?.textContent }; }
"""


def wait_playing(page: Page) -> None:
    """The relay stream plays (currentTime moves on); on a timeout, say what the video was doing."""
    try:
        page.wait_for_function(PLAYING, timeout=30_000)
    except Exception as exc:
        raise AssertionError(f"the video did not play: {page.evaluate(VIDEO_STATE)}") from exc


@pytest.fixture(scope="module")
def stage(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    prepared = live_stage(server, "Live: bridging the digital divide")
    prepared.push(seconds=240, work_dir=tmp_path_factory.mktemp("ffmpeg"))
    try:
        yield prepared
    finally:
        prepared.stop()


@pytest.fixture(scope="module")
def people(server: Server) -> dict[str, Account]:
    return {
        name: register(server, full)
        for name, full in (("a", "Amina Wanjiru"), ("b", "Bruno Costa"))
    }


def signed_in(
    browser: Browser, server: Server, account: Account, **options: object
) -> BrowserContext:
    context = new_context(browser, server, **options)
    response = context.request.post(
        "/api/v1/auth/login",
        data={"email": account.email, "password": account.password},
        headers={"Origin": server.url},
    )
    assert response.status == 200, response.text()
    return context


def open_room(context: BrowserContext, stage: Stage) -> Page:
    page = context.new_page()
    page.goto(f"/rooms/{stage.session_id}")
    expect(page.locator(".room-head .presence")).to_be_visible()
    expect(page.locator(".chat-log")).to_be_visible()
    page.wait_for_function(
        "() => window.forumlive.live && window.forumlive.live.store.get().status === 'open'"
    )
    return page


def send_chat(page: Page, text: str) -> None:
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def current_time(page: Page) -> float:
    return float(page.evaluate("() => document.querySelector('video[data-player]').currentTime"))


def test_participant_joins_live_session_and_switches_language(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account]
) -> None:
    context = signed_in(browser, server, people["a"])
    try:
        page = context.new_page()
        page.goto(f"/sessions/{stage.session_id}")
        join = page.get_by_role("button", name="Join now — live")
        expect(join).to_be_enabled()
        join.click()
        expect(page).to_have_url(f"{server.url}/rooms/{stage.session_id}")
        expect(page.locator("[data-health]")).to_have_attribute(
            "data-health", "live", timeout=20_000
        )
        # The relay stream plays: currentTime moves on.
        wait_playing(page)
        before = current_time(page)
        page.wait_for_timeout(1500)
        assert current_time(page) > before
        # Switch to the French channel: hls.js fetches that channel's playlist and plays it.
        with page.expect_request(lambda r: f"/hls/{stage.room['id']}/fr/" in r.url, timeout=20_000):
            page.get_by_label("Language channel").select_option("fr")
        wait_playing(page)
        before = current_time(page)
        page.wait_for_timeout(1500)
        assert current_time(page) > before
        expect(page.get_by_label("Language channel")).to_have_value("fr")
    finally:
        context.close()


def test_a_viewer_who_arrives_before_the_stream_sees_it_start(
    browser: Browser, server: Server, people: dict[str, Account], tmp_path: Path
) -> None:
    """The player asks for the playlist before the relay has one (404), and must keep
    asking: people open the room before the studio starts pushing."""
    early = live_stage(server, "Live: the stream that started late")
    context = signed_in(browser, server, people["b"])
    try:
        page = context.new_page()
        with page.expect_response(lambda r: "/hls/" in r.url and r.status == 404, timeout=20_000):
            page.goto(f"/rooms/{early.session_id}")
        early.push(seconds=60, work_dir=tmp_path)
        expect(page.locator("[data-health]")).to_have_attribute(
            "data-health", "live", timeout=20_000
        )
        wait_playing(page)
    finally:
        context.close()
        early.stop()


def test_two_browsers_chat_resume_and_moderator_deletes(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account]
) -> None:
    ctx_a = signed_in(browser, server, people["a"])
    ctx_b = signed_in(browser, server, people["b"])
    ctx_m = signed_in(browser, server, stage.moderator)
    try:
        a, b = open_room(ctx_a, stage), open_room(ctx_b, stage)
        send_chat(a, "Hello from Nairobi")
        expect(b.locator(".chat-log")).to_contain_text("Hello from Nairobi")
        send_chat(b, "Greetings from Lisbon")
        expect(a.locator(".chat-log")).to_contain_text("Greetings from Lisbon")
        expect(a.locator(".presence")).to_have_text("2 people here")

        # A drops off; B writes twice; A comes back and gets exactly what it missed.
        a.evaluate("() => window.forumlive.live.goOffline()")
        expect(b.locator(".presence")).to_have_text("1 person here")
        send_chat(b, "Missed one")
        send_chat(b, "Missed two")
        a.evaluate("() => window.forumlive.live.goOnline()")
        a.wait_for_function("() => window.forumlive.live.store.get().status === 'open'")
        for text in ("Missed one", "Missed two"):
            expect(a.locator(".chat-message", has_text=text)).to_have_count(1)
        assert a.evaluate("() => window.forumlive.live.store.get().recovered") is True

        # The moderator deletes A's message: it disappears in both browsers.
        send_chat(a, "Please delete this one")
        m = ctx_m.new_page()
        m.goto(f"/moderate/{stage.session_id}")
        doomed = m.locator(".chat-message", has_text="Please delete this one")
        expect(doomed).to_be_visible()
        doomed.get_by_role("button", name="Delete the message from Amina Wanjiru").click()
        for page in (a, b, m):
            expect(page.locator(".chat-message", has_text="Please delete this one")).to_have_count(
                0
            )
        expect(a.locator(".chat-message", has_text="Hello from Nairobi")).to_have_count(1)
    finally:
        for ctx in (ctx_a, ctx_b, ctx_m):
            ctx.close()


def test_chat_html_payload_is_inert_text(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account]
) -> None:
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script><b>bold?</b>'
    ctx_a = signed_in(browser, server, people["a"])
    ctx_b = signed_in(browser, server, people["b"])
    try:
        a, b = open_room(ctx_a, stage), open_room(ctx_b, stage)
        send_chat(a, payload)
        shown = b.locator(".chat-message .chat-text", has_text="window.__xss=2")
        expect(shown).to_have_count(1)
        assert shown.inner_text() == payload
        for page in (a, b):
            assert page.locator(".chat-log img, .chat-log script, .chat-log b").count() == 0
            assert page.evaluate("() => window.__xss") is None
    finally:
        ctx_a.close()
        ctx_b.close()


def test_poll_tallies_and_captions_reach_every_browser(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account]
) -> None:
    ctx_a = signed_in(browser, server, people["a"])
    ctx_b = signed_in(browser, server, people["b"])
    ctx_m = signed_in(browser, server, stage.moderator)
    try:
        a, b = open_room(ctx_a, stage), open_room(ctx_b, stage)
        m = ctx_m.new_page()
        m.goto(f"/moderate/{stage.session_id}")
        m.get_by_role("button", name="Polls").click()
        m.get_by_label("Poll question").fill("Which gap matters most?")
        m.get_by_label("Option 1").fill("Connectivity")
        m.get_by_label("Option 2").fill("Skills")
        m.get_by_role("button", name="Create the poll").click()

        for page in (a, b):
            page.get_by_role("tab", name="Polls (1 open)").click()
        poll = a.locator("article.poll", has_text="Which gap matters most?")
        poll.get_by_label("Connectivity").check()
        poll.get_by_role("button", name="Vote").click()
        expect(poll).to_contain_text("1 vote")
        b_poll = b.locator("article.poll", has_text="Which gap matters most?")
        b_poll.get_by_label("Skills").check()
        b_poll.get_by_role("button", name="Vote").click()
        # Both browsers (and the console) see the same tallies: one each, two in all.
        for page in (a, b, m):
            tally = page.locator("article.poll", has_text="Which gap matters most?")
            expect(tally).to_contain_text("2 votes")
            expect(tally.locator("[data-votes]")).to_have_text(["1 · 50%", "1 · 50%"])

        # A caption line pushed from the console appears under both players, in a live region.
        m.get_by_role("button", name="Live captions").click()
        m.get_by_label("Caption line").fill("Welcome to the session on the digital divide.")
        m.get_by_role("button", name="Show", exact=True).click()
        for page in (a, b):
            region = page.locator("[data-captions]")
            expect(region).to_have_attribute("aria-live", "polite")
            expect(region).to_contain_text("Welcome to the session on the digital divide.")
    finally:
        for ctx in (ctx_a, ctx_b, ctx_m):
            ctx.close()


def test_room_passes_axe_and_screenshots(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account], screenshot_dir: Path
) -> None:
    ctx = signed_in(browser, server, people["b"], bypass_csp=True)
    ctx_m = signed_in(browser, server, stage.moderator, bypass_csp=True)
    try:
        page = open_room(ctx, stage)
        wait_playing(page)
        assert_accessible(page)
        page.screenshot(path=str(screenshot_dir / "room.png"))
        m = ctx_m.new_page()
        m.goto(f"/moderate/{stage.session_id}")
        expect(m.locator(".chat-log")).to_be_visible()
        m.wait_for_function("() => window.forumlive.live?.store.get().status === 'open'")
        assert_accessible(m)
        m.screenshot(path=str(screenshot_dir / "moderator-console.png"))
    finally:
        ctx.close()
        ctx_m.close()


def test_hand_raise_roster_stream_health_and_extend(
    browser: Browser, server: Server, stage: Stage, people: dict[str, Account]
) -> None:
    ctx_a = signed_in(browser, server, people["a"])
    ctx_m = signed_in(browser, server, stage.moderator)
    try:
        a = open_room(ctx_a, stage)
        m = ctx_m.new_page()
        m.goto(f"/moderate/{stage.session_id}")
        m.wait_for_function("() => window.forumlive.live?.store.get().status === 'open'")

        raise_hand = a.get_by_role("button", name="Raise my hand")
        raise_hand.click()
        expect(a.get_by_role("button", name="Lower my hand")).to_have_attribute(
            "aria-pressed", "true"
        )
        m.get_by_role("button", name="Hands (1)").click()
        queued = m.locator(f'[data-hand="{people["a"].user["public_id"]}"]')
        expect(queued).to_contain_text("Amina Wanjiru")
        queued.get_by_role("button", name="Give the floor").click()
        expect(a.locator(".notice-success", has_text="You have the floor")).to_be_visible()

        m.get_by_role("button", name=re.compile(r"^People \(\d+\)$")).click()
        expect(m.locator(".roster")).to_contain_text("Amina Wanjiru")
        m.get_by_role("button", name="Stream").click()
        for channel in ("floor", "fr"):
            row = m.locator(".health-list li", has_text=channel)
            expect(row.locator("[data-health]")).to_have_attribute("data-health", "live")

        before = server.api("GET", f"/api/v1/sessions/{stage.session_id}")[1]["end_utc"]
        m.get_by_label("Extend by").select_option("15")
        m.get_by_role("button", name="Extend", exact=True).click()
        expect(m.locator(".notice-success", has_text="15 minutes later")).to_be_visible()
        after = server.api("GET", f"/api/v1/sessions/{stage.session_id}")[1]["end_utc"]
        assert datetime.fromisoformat(after) - datetime.fromisoformat(before) == timedelta(
            minutes=15
        )
    finally:
        ctx_a.close()
        ctx_m.close()


HAND_LIST = re.compile(r'^43/live,\d+\[\{.*"hands":')  # the answer to hand:list


def test_a_hand_raised_while_the_moderator_page_loads_the_queue_is_kept(
    browser: Browser, server: Server, stage: Stage
) -> None:
    """The moderator's page asks for the hand queue as it opens, and a hand raised
    meanwhile is pushed at once. Under load the push can overtake the older answer; the
    answer must not then wipe the hand. Here the answer (without that hand) is held back by
    a websocket route until the push has been delivered, which makes that order certain."""
    person = register(server, "Chen Wei")
    ctx_p = signed_in(browser, server, person)
    ctx_m = signed_in(browser, server, stage.moderator)
    held: list[str | bytes] = []
    released: list[str | bytes] = []

    def hold_the_list(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()
        ws.on_message(upstream.send)

        def from_server(message: str | bytes) -> None:
            if isinstance(message, str) and HAND_LIST.match(message) and not released:
                held.append(message)
                return
            ws.send(message)
            if held and isinstance(message, str) and "hand:queue" in message:
                released.extend(held)
                for late in held:
                    ws.send(late)
                held.clear()

        upstream.on_message(from_server)

    def pump_until(page: Page, done: Callable[[], bool]) -> None:
        for _ in range(300):  # the route's handlers run while Playwright waits
            if done():
                return
            page.wait_for_timeout(50)
        raise AssertionError("the websocket route never saw what it waited for")

    try:
        m = ctx_m.new_page()
        m.route_web_socket(re.compile(r"/socket\.io/"), hold_the_list)
        m.goto(f"/moderate/{stage.session_id}")
        m.wait_for_function("() => window.forumlive.live?.store.get().status === 'open'")
        pump_until(m, lambda: bool(held))  # the page asked, the answer is held

        p = open_room(ctx_p, stage)
        p.get_by_role("button", name="Raise my hand").click()
        expect(p.get_by_role("button", name="Lower my hand")).to_be_visible()
        pump_until(m, lambda: bool(released))  # the push, then the older answer
        # The roster is set just after the queue answer: once it is, the answer was read.
        m.wait_for_function("() => window.forumlive.live.store.get().roster.length > 0")
        m.get_by_role("button", name=re.compile(r"^Hands \(\d+\)$")).click()
        queued = m.locator(f'[data-hand="{person.user["public_id"]}"]')
        expect(queued).to_contain_text("Chen Wei")
        p.get_by_role("button", name="Lower my hand").click()
        expect(queued).to_have_count(0)
    finally:
        ctx_p.close()
        ctx_m.close()


def test_moderator_bans_a_participant_who_is_removed_at_once(
    browser: Browser, server: Server, stage: Stage
) -> None:
    troll = register(server, "Tom Troll")
    ctx_t = signed_in(browser, server, troll)
    ctx_m = signed_in(browser, server, stage.moderator)
    try:
        t_page = open_room(ctx_t, stage)
        send_chat(t_page, "Buy cheap followers now")
        m = ctx_m.new_page()
        m.goto(f"/moderate/{stage.session_id}")
        message = m.locator(".chat-message", has_text="Buy cheap followers now")
        message.get_by_role("button", name="Ban").click()
        form = m.locator(".person-action")
        expect(form).to_contain_text("Ban Tom Troll from this session")
        form.get_by_label("Reason").fill("spam")
        form.get_by_role("button", name="Ban").click()
        expect(m.locator(".notice-success", has_text="Tom Troll is banned")).to_be_visible()
        # Removed from the room at once, with the reason shown, and no way back in.
        expect(t_page.locator(".notice-error")).to_contain_text("You cannot join this session.")
        expect(t_page.get_by_label("Your message")).to_be_disabled()
        t_page.reload()
        expect(t_page.locator(".notice-error")).to_contain_text("You cannot join this session.")
    finally:
        ctx_t.close()
        ctx_m.close()
