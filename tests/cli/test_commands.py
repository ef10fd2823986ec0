"""``forumlive migrate``, ``create-organiser`` (with and without --password) and ``demo``."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from datetime import date, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy import select as sql_select

from server.app import create_app
from server.db.migrate import alembic_config
from server.db.tables import Event, Person, Room, Session, User
from server.settings import Settings
from tests.cli.processes import CliDatabase, combined, no_traceback


async def count(cli_db: CliDatabase, model) -> int:
    db = cli_db.database()
    try:
        async with db.read() as s:
            return await s.scalar(sql_select(func.count()).select_from(model)) or 0
    finally:
        await db.close()


async def login(aiohttp_client, cli_db: CliDatabase, email: str, password: str):
    settings = Settings(data_dir=cli_db.data_dir, database_url=cli_db.url, auto_migrate=False)
    client = await aiohttp_client(create_app(settings))
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


async def test_migrate_creates_the_schema_and_is_repeatable(cli_db):
    first = cli_db.run("migrate")
    assert first.returncode == 0, combined(first)
    assert "latest schema" in first.stdout
    no_traceback(first.stderr)
    db = cli_db.database()
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await db.close()
    assert {"events", "sessions", "users", "signups", "session_tags"} <= tables
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert {v for (v,) in versions} == heads  # every migration branch applied
    again = cli_db.run("migrate")
    assert again.returncode == 0, combined(again)
    if cli_db.env:  # PostgreSQL: nothing was written to the data directory
        assert not (cli_db.data_dir / "forumlive.db").exists()
    else:
        assert (cli_db.data_dir / "forumlive.db").is_file()


async def test_create_organiser_then_log_in(cli_db, aiohttp_client):
    result = cli_db.run(
        "create-organiser",
        "--email",
        "Chair@Example.org",
        "--name",
        "Forum Chair",
        "--password",
        "a long enough secret",
    )
    assert result.returncode == 0, combined(result)
    assert "organiser chair@example.org created" in result.stdout
    r = await login(aiohttp_client, cli_db, "chair@example.org", "a long enough secret")
    assert r.status == 200, await r.text()
    body = await r.json()
    assert body["user"]["role"] == "organiser"
    assert body["user"]["name"] == "Forum Chair"
    # The same address twice is refused, and the first account is untouched.
    again = cli_db.run(
        "create-organiser", "--email", "chair@example.org", "--name", "X", "--password", "x" * 12
    )
    assert again.returncode == 1, combined(again)
    assert "exists already" in again.stderr
    no_traceback(again.stderr)
    assert await count(cli_db, User) == 1


async def test_create_organiser_refuses_bad_input(cli_db):
    for args in (
        ("--email", "not-an-email", "--name", "N", "--password", "long enough pw"),
        ("--email", "a@example.org", "--name", "N", "--password", "short"),
        ("--email", "a@example.org", "--name", "   ", "--password", "long enough pw"),
    ):
        result = cli_db.run("create-organiser", *args)
        assert result.returncode == 2, combined(result)
        assert "invalid input" in result.stderr
        no_traceback(result.stderr)
    assert not (cli_db.data_dir / "forumlive.db").exists() or await count(cli_db, User) == 0


def _read_until(fd: int, wanted: bytes, deadline: float) -> bytes:
    seen = b""
    while wanted not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {wanted!r}; got {seen!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other end closed
            chunk = b""
        if not chunk:
            raise AssertionError(f"the process ended before {wanted!r}; got {seen!r}")
        seen += chunk
    return seen


def _read_rest(fd: int, deadline: float) -> bytes:
    rest = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        rest += chunk
    return rest


def run_on_a_terminal(cli_db: CliDatabase, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run with a pseudo-terminal as stdin/stdout/stderr and type ``answers`` at the prompts.

    A new session has no controlling terminal, so getpass falls back to the terminal on
    stdin, turns its echo off, and prompts on stderr: what a person at a shell sees.
    """
    primary, secondary = os.openpty()
    proc = subprocess.Popen(
        cli_db.argv(*args),
        env=cli_db.environ(),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        start_new_session=True,
        close_fds=True,
    )
    os.close(secondary)
    deadline = time.monotonic() + 120
    output = b""
    try:
        for prompt, answer in zip(("Password: ", "Again: "), answers, strict=False):
            output += _read_until(primary, prompt.encode(), deadline)
            os.write(primary, answer.encode() + b"\n")
        code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        output += _read_rest(primary, time.monotonic() + 2)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(primary)
    return code, output.decode(errors="replace")


async def test_create_organiser_prompts_for_the_password(cli_db, aiohttp_client):
    secret = "typed at the prompt 42"
    code, output = run_on_a_terminal(
        cli_db,
        ["create-organiser", "--email", "prompted@example.org", "--name", "Prompted"],
        [secret, secret],
    )
    assert code == 0, output
    assert "Password: " in output and "Again: " in output
    assert secret not in output  # echo was off: the password never showed on the terminal
    assert "organiser prompted@example.org created" in output
    r = await login(aiohttp_client, cli_db, "prompted@example.org", secret)
    assert r.status == 200, await r.text()


async def test_create_organiser_prompt_mismatch_creates_nobody(cli_db):
    code, output = run_on_a_terminal(
        cli_db,
        ["create-organiser", "--email", "typo@example.org", "--name", "Typo"],
        ["first attempt 123", "second attempt 456"],
    )
    assert code == 2, output
    assert "the passwords differ" in output
    assert not (cli_db.data_dir / "forumlive.db").exists() or await count(cli_db, User) == 0


async def test_create_organiser_checks_the_email_before_prompting(cli_db):
    code, output = run_on_a_terminal(
        cli_db, ["create-organiser", "--email", "nope", "--name", "Nope"], []
    )
    assert code == 2, output
    assert "invalid input" in output
    assert "Password" not in output


REPORT = re.compile(
    r"(loaded|already present): event '([\w-]+)', (\d+) sessions, (\d+) people, (\d+) rooms"
)


async def _counts(cli_db: CliDatabase) -> tuple[int, ...]:
    return tuple([await count(cli_db, m) for m in (Event, Session, Person, Room)])


async def test_demo_is_idempotent_and_shifted_to_today(cli_db):
    first = cli_db.run("demo")
    assert first.returncode == 0, combined(first)
    match = REPORT.search(first.stdout)
    assert match and match.group(1) == "loaded", first.stdout
    sessions, people, rooms = (int(match.group(i)) for i in (3, 4, 5))
    assert sessions >= 250 and people >= 700 and rooms >= 20
    counts = await _counts(cli_db)
    assert counts == (1, sessions, people, rooms)

    second = cli_db.run("demo")
    assert second.returncode == 0, combined(second)
    again = REPORT.search(second.stdout)
    assert again and again.group(1) == "already present", second.stdout
    assert int(again.group(3)) == sessions
    assert await _counts(cli_db) == counts

    db = cli_db.database()
    try:
        async with db.read() as s:
            event = await s.scalar(sql_select(Event))
            first_start = await s.scalar(sql_select(func.min(Session.start_utc)))
    finally:
        await db.close()
    from server.domain.timezones import zone

    today = datetime.now(zone("Europe/Geneva")).date()
    # The run may straddle midnight in Geneva: the start is the day of loading.
    assert event.final_start in (today, date.fromordinal(today.toordinal() - 1))
    assert (event.final_end - event.final_start).days == 4
    assert first_start.date() < event.final_start  # months of pre-events before it


async def test_demo_year_2021_keeps_the_reference_dates(cli_db):
    result = cli_db.run("demo", "--demo-year", "2021")
    assert result.returncode == 0, combined(result)
    assert REPORT.search(result.stdout).group(1) == "loaded"
    db = cli_db.database()
    try:
        async with db.read() as s:
            event = await s.scalar(sql_select(Event))
            first, last = (
                await s.execute(sql_select(func.min(Session.start_utc), func.max(Session.end_utc)))
            ).one()
    finally:
        await db.close()
    assert (event.final_start, event.final_end) == (date(2021, 5, 17), date(2021, 5, 21))
    assert event.pre_events_start == date(2021, 1, 11)
    assert first.date() >= date(2021, 1, 10)  # the first pre-event, in UTC
    assert last.date() <= date(2021, 5, 22)
    bad = cli_db.run("demo", "--demo-year", "2019")
    assert bad.returncode == 2, combined(bad)
    assert "invalid choice" in bad.stderr
    no_traceback(bad.stderr)
    assert await count(cli_db, Event) == 1


async def test_invalid_settings_are_reported_without_a_traceback(cli_db):
    result = subprocess.run(
        cli_db.argv("migrate"),
        env=cli_db.environ(FORUMLIVE_LOGIN_MAX_FAILURES="many"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, combined(result)
    assert "invalid settings" in result.stderr
    assert "login_max_failures" in result.stderr
    no_traceback(result.stderr)
