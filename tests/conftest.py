"""Shared fixtures: a real database (SQLite or PostgreSQL), the app, accounts and a programme.

``FORUMLIVE_TEST_DB=postgresql`` runs the suite on PostgreSQL
(``FORUMLIVE_TEST_POSTGRES_URL``, default the local ``test`` database); the
default is SQLite. A missing PostgreSQL makes the run fail, never skip.
"""

from __future__ import annotations

import os
import sys

# Before any server import: argon2's cheapest parameters for the thousands of test logins.
os.environ.setdefault("FORUMLIVE_INSECURE_FAST_HASHING", "1")
# The processes tests start (`forumlive` above all) must be this
# interpreter's, not another install found first on the PATH (a pyenv shim, say).
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.db.migrate import upgrade
from server.db.schema import metadata
from server.settings import Settings
from tests.factories import Factory

TEST_DB = os.environ.get("FORUMLIVE_TEST_DB", "sqlite")
PG_URL = os.environ.get(
    "FORUMLIVE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def pytest_report_header() -> str:
    return f"forumlive test database: {TEST_DB}"


# Fixtures that hand a test the run's database (FORUMLIVE_TEST_DB): a test whose fixtures
# reach none of them, and whose files never read FORUMLIVE_TEST_DB, runs the same code
# whatever that variable says.
DATABASE_FIXTURES = frozenset({"migrated_database", "database_url", "cli_db"})
TESTS_ROOT = Path(__file__).parent
# The browser scenarios drive the API that tests/api checks on both databases: they run in
# the first pass only (`FORUMLIVE_TEST_DB=postgresql pytest tests/e2e` runs them on PostgreSQL).
FIRST_PASS_ONLY = frozenset({TESTS_ROOT / "e2e"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that reach the FORUMLIVE_TEST_DB database, browser "
        "scenarios aside (the second database pass of tests/run.sh: the others already "
        "ran in the first)",
    )


def _reads_test_db(path: Path, seen: dict[Path, bool]) -> bool:
    if path not in seen:
        seen[path] = path.is_file() and "TEST_DB" in path.read_text()
    return seen[path]


def reaches_database(item: pytest.Item, seen: dict[Path, bool]) -> bool:
    path = Path(str(item.fspath))
    if FIRST_PASS_ONLY & set(path.parents):
        return False
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if _reads_test_db(path, seen):
        return True
    folder = path.parent
    while folder != TESTS_ROOT and TESTS_ROOT in folder.parents:
        if _reads_test_db(folder / "conftest.py", seen):
            return True
        folder = folder.parent
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--database-tests-only"):
        return
    seen: dict[Path, bool] = {}
    keep, dropped = [], []
    for item in items:
        (keep if reaches_database(item, seen) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


async def _migrate(url: str) -> None:
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database for the run: a template file (SQLite) or a fresh PG database."""
    if TEST_DB == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    if TEST_DB != "postgresql":
        raise RuntimeError(f"FORUMLIVE_TEST_DB must be sqlite or postgresql, not {TEST_DB!r}")
    name = f"forumlive_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def database_url(migrated_database: str, tmp_path: Path) -> AsyncIterator[str]:
    """A clean, migrated database for one test."""
    if TEST_DB == "sqlite":
        target = tmp_path / "forumlive.db"
        shutil.copyfile(migrated_database, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    await _truncate(migrated_database)
    yield migrated_database


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        public_url="http://127.0.0.1:8080",
        auto_migrate=False,
    )


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def factory(client: TestClient) -> Factory:
    return Factory(client)
