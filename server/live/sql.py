"""Small SQL helpers that read the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert


def insert_ignore(s: AsyncSession, table: Table, values: dict[str, Any]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` for the session's dialect (both support RETURNING)."""
    dialect = s.bind.dialect.name if s.bind is not None else "sqlite"
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).values(**values).on_conflict_do_nothing()


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso_ms(instant: datetime) -> str:
    """Wire format of instants: UTC, millisecond precision, ``Z``."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
