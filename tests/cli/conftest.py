"""A fresh database of the run's kind for each ``forumlive`` process test.

On SQLite the command gets ``--data-dir`` and makes its own database file there; on
PostgreSQL a database is created for the test, handed over with
``FORUMLIVE_DATABASE_URL`` (nothing else changes), and dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.cli.processes import CliDatabase
from tests.conftest import PG_URL, TEST_DB


async def _pg_admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


@pytest.fixture
async def cli_db(tmp_path: Path) -> AsyncIterator[CliDatabase]:
    data_dir = tmp_path / "data"
    if TEST_DB == "sqlite":
        yield CliDatabase(data_dir, f"sqlite+aiosqlite:///{(data_dir / 'forumlive.db').resolve()}")
        return
    name = f"forumlive_cli_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield CliDatabase(data_dir, url, {"FORUMLIVE_DATABASE_URL": url})
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
