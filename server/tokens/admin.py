"""``forumlive keys rotate`` and ``forumlive keys list``."""

from __future__ import annotations

from datetime import datetime

from redis.asyncio import Redis

from server.db.engine import Database
from server.domain.timezones import iso_utc
from server.settings import Settings
from server.tokens.context import announce_keys
from server.tokens.keys import list_keys, retire_expired, rotate
from server.tokens.secret import SecretBox, load_secret


def _when(at: datetime | None) -> str:
    return "-" if at is None else iso_utc(at)


async def keys_command(name: str, db: Database, settings: Settings) -> int:
    if name == "rotate":
        kid = await rotate(db, SecretBox(load_secret(settings)))
        retired = await retire_expired(db, leeway_seconds=settings.token_leeway_seconds)
        if settings.redis_url:  # running nodes switch now, not at their next refresh
            redis = Redis.from_url(settings.redis_url)
            try:
                await announce_keys(redis)
            finally:
                await redis.aclose()
        print(f"signing key {kid} is now current")
        if retired:
            print(f"retired: {', '.join(retired)}")
    keys = await list_keys(db)
    print(f"{'kid':<18} {'status':<10} {'created':<21} {'rotated out':<21} {'verifies until':<21}")
    for k in keys:
        until = _when(k.retired_at) if k.status == "retired" else _when(k.last_token_expires_at)
        print(
            f"{k.kid:<18} {k.status:<10} {_when(k.created_at)[:19]:<21} "
            f"{_when(k.rotated_out_at)[:19]:<21} {until[:19]:<21}"
        )
    return 0
