"""Stream keys: one per room, random, stored as a SHA-256 hash, compared in constant time.

A key is 256 random bits, so a fast hash is enough (no password stretching);
the hash means a database dump cannot be used to push into a room.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy import select

from server.db.engine import Database
from server.db.tables import Room
from server.db.tables_streaming import StreamKey

KEY_PREFIX = "fls_"  # recognisable in logs and secret scanners
MAX_KEY_LENGTH = 128
# Compared against when a room has no key, so a missing key costs the same as a wrong one.
_NO_KEY = hashlib.sha256(b"forumlive: this room has no stream key").hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(presented: str, stored_hash: str | None) -> bool:
    if len(presented) > MAX_KEY_LENGTH:
        return False
    expected = stored_hash or _NO_KEY
    good = hmac.compare_digest(hash_key(presented), expected)
    return good and stored_hash is not None


async def rotate(db: Database, room_id: int, by_user_id: int | None) -> tuple[str, datetime]:
    """A new key for the room; the old one stops working at once on this node (cache aside)."""
    key = new_key()
    now = datetime.now(UTC)
    async with db.write() as s:
        # Lock the room so two rotations at once cannot both insert (PostgreSQL).
        await s.execute(select(Room.id).where(Room.id == room_id).with_for_update())
        row = await s.get(StreamKey, room_id)
        if row is None:
            s.add(
                StreamKey(
                    room_id=room_id, key_hash=hash_key(key), created_at=now, created_by=by_user_id
                )
            )
        else:
            row.key_hash = hash_key(key)
            row.created_at = now
            row.created_by = by_user_id
    return key, now
