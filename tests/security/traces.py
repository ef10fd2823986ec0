"""Looking for a person's data everywhere the service keeps things: database, Redis, files."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import JSON, LargeBinary, String, Text, select

from server.db.engine import Database
from server.db.schema import metadata


def hits(text: str, needles: Iterable[str], where: str) -> list[str]:
    low = text.lower()
    return [f"{where}: {n!r}" for n in needles if n and n.lower() in low]


def _textual(column: Any) -> bool:
    return isinstance(column.type, String | Text | JSON) and not isinstance(
        column.type, LargeBinary
    )


async def database_hits(db: Database, needles: list[str]) -> list[str]:
    """Every text and JSON column of every table, row by row."""
    found: list[str] = []
    async with db.read() as s:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if _textual(c)]
            if not columns:
                continue
            for row in (await s.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value)
                    found += hits(text, needles, f"{table.name}.{column.name}")
    return found


async def redis_hits(url: str, needles: list[str]) -> list[str]:
    """Every key of the Redis database, its name and its whole value, whatever its type."""
    found: list[str] = []
    redis = Redis.from_url(url)
    try:
        async for raw in redis.scan_iter(count=1000):
            key = raw.decode(errors="replace")
            found += hits(key, needles, f"redis key {key}")
            kind = (await redis.type(raw)).decode()
            if kind == "string":
                values: list[Any] = [await redis.get(raw)]
            elif kind == "hash":
                values = [x for kv in (await redis.hgetall(raw)).items() for x in kv]
            elif kind == "list":
                values = await redis.lrange(raw, 0, -1)
            elif kind == "set":
                values = list(await redis.smembers(raw))
            elif kind == "zset":
                values = [m for m, _ in await redis.zrange(raw, 0, -1, withscores=True)]
            elif kind == "stream":
                values = [json.dumps(e, default=str) for e in await redis.xrange(raw)]
            else:
                values = []
            for value in values:
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                found += hits(text, needles, f"redis {kind} {key}")
    finally:
        await redis.aclose()
    return found


def file_hits(root: Path, needles: list[str], skip_suffixes: tuple[str, ...] = ()) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.endswith(skip_suffixes):
            found += hits(path.read_bytes().decode(errors="replace"), needles, str(path))
    return found
