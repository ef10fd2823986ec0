"""Browser tests: real Chromium (Debian's, driven by Playwright) against a real
``forumlive serve --demo`` process on a free port with its own data directory.

One server and one browser serve the whole folder (starting them is the slow
part); every test gets a fresh browser context, so cookies never leak between
tests. ``FORUMLIVE_TEST_DB=postgresql`` runs the server on a fresh PostgreSQL
database made for the run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

CHROMIUM = os.environ.get("FORUMLIVE_CHROMIUM", "/usr/bin/chromium")
# Assertions wait as long as actions do (context.set_default_timeout below): on a loaded
# two-core machine a live update can take longer than Playwright's 5 s default.
expect.set_options(timeout=15_000)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Let the player start without a click (the relay stream test watches currentTime).
    "--autoplay-policy=no-user-gesture-required",
]
TEST_DB = os.environ.get("FORUMLIVE_TEST_DB", "sqlite")
PG_URL = os.environ.get(
    "FORUMLIVE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ORGANISER = {
    "email": "organiser@forumlive-e2e.org",
    "name": "Olga Organiser",
    "password": "organiser-pass-1",
}
VIEWER_ZONE = "America/New_York"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """Call the API from the test process (setup and checks, not what is under test)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    def login(self, email: str, password: str) -> str:
        status, out = self.api("POST", "/api/v1/auth/login", {"email": email, "password": password})
        assert status == 200, out
        return str(out["token"])


def _wait_ready(server: Server, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"forumlive serve exited:\n{server.log.read_text()[-4000:]}")
        try:
            status, out = server.api("GET", "/api/v1/agenda?limit=1")
            if status == 200 and out["total"] > 0:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"forumlive serve not ready:\n{server.log.read_text()[-4000:]}")


def _pg_admin_now(sql: str) -> None:
    """On a thread of its own: once the browser is up, Playwright's sync API has this
    thread's event loop marked as running, and asyncio.run() refuses to start here."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _pg_admin(sql)).result()


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("e2e-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FORUMLIVE_PUBLIC_URL": url,
        "FORUMLIVE_LOG_LEVEL": "WARNING",
        # Attendance slots of 5 s, written every second: the reports test sees its
        # viewers' curve change within seconds instead of a 30 s slot.
        "FORUMLIVE_LIVE_ATTENDANCE_SAMPLE_SECONDS": "5",
        "FORUMLIVE_LIVE_ATTENDANCE_FLUSH_SECONDS": "1",
    }
    env.pop("FORUMLIVE_DATABASE_URL", None)
    env.pop("FORUMLIVE_REDIS_URL", None)
    db_args: list[str] = []
    pg_name = None
    if TEST_DB == "postgresql":
        pg_name = f"forumlive_e2e_{uuid.uuid4().hex[:10]}"
        _pg_admin_now(f'CREATE DATABASE "{pg_name}"')
        db_args = ["--database-url", PG_URL.rsplit("/", 1)[0] + "/" + pg_name]
    cli = shutil.which("forumlive") or sys.executable
    base = [cli] if cli != sys.executable else [sys.executable, "-m", "server.cli"]
    subprocess.run(
        [
            *base,
            "create-organiser",
            "--data-dir",
            str(data_dir),
            *db_args,
            "--email",
            ORGANISER["email"],
            "--name",
            ORGANISER["name"],
            "--password",
            ORGANISER["password"],
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*base, "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir), *db_args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running = Server(url=url, data_dir=data_dir, process=process, log=log)
    try:
        _wait_ready(running)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if pg_name:
            _pg_admin_now(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


# Package scope, not session: Playwright's sync API keeps its event loop marked as
# running in this thread while it is open, which would break the asyncio tests that
# run after this folder.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Console:
    """What the page said: uncaught errors fail the test that caused them."""

    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def record(self, message: ConsoleMessage) -> None:
        self.messages.append(f"{message.type}: {message.text}")


def new_context(browser: Browser, server: Server, **options: Any) -> BrowserContext:
    settings: dict[str, Any] = {
        "base_url": server.url,
        "locale": "en-GB",
        "timezone_id": VIEWER_ZONE,
        "viewport": {"width": 1280, "height": 900},
    }
    settings.update(options)
    context = browser.new_context(**settings)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def context(browser: Browser, server: Server) -> Iterator[BrowserContext]:
    ctx = new_context(browser, server)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(context: BrowserContext, console: Console) -> Iterator[Page]:
    tab = context.new_page()
    tab.on("console", console.record)
    tab.on("pageerror", lambda exc: console.errors.append(str(exc)))
    yield tab
    assert console.errors == [], f"uncaught errors in the page: {console.errors}"


@pytest.fixture(scope="package")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """docs/screenshots when FORUMLIVE_SCREENSHOTS=1 (to refresh the docs), else a temp dir."""
    if os.environ.get("FORUMLIVE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@forumlive-e2e.org"
