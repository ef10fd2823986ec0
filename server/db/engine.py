"""Engine, sessions and the write path shared by the API and the scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers run beside the single writer; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()
            # SQLite's lower() (what ILIKE compiles to) folds A-Z only, PostgreSQL's ILIKE
            # every letter: with Python's lower, "ÉCOLE" finds "école" on both.
            dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)

        return engine
    # A database that accepts connections but never answers must fail fast (503), not hang 60 s.
    return create_async_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args={"timeout": 10}
    )


class Database:
    """Hands out read sessions and serialised write transactions.

    SQLite allows one writer at a time; in embedded mode everything runs in one
    process, so a lock around write transactions turns lock contention (and
    ``database is locked`` errors) into a short, fair queue. PostgreSQL needs no
    lock: writers that must not race take row locks (``FOR UPDATE``).
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on any error."""
        if self._write_lock is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        await self.engine.dispose()
