"""Personal calendar feeds: a secret URL per account that calendar apps subscribe to."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables import Session, Signup, Star
from server.db.tables_exchange import CalendarFeed
from server.exchange.ical import TENTATIVE

# token_urlsafe(32) gives 43 characters; anything longer is not ours.
MAX_SECRET_LENGTH = 64


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def feed_path(secret: str) -> str:
    return f"/api/v1/calendar/{secret}.ics"


async def feed_of(s: AsyncSession, user_id: int, create: bool) -> CalendarFeed | None:
    feed = await s.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    if feed is None and create:
        secret = secrets.token_urlsafe(32)
        feed = CalendarFeed(user_id=user_id, secret=secret, secret_hash=_hash(secret))
        s.add(feed)
        await s.flush()
    return feed


async def rotate(s: AsyncSession, user_id: int) -> CalendarFeed:
    """A new secret; the old URL stops working at once."""
    feed = await feed_of(s, user_id, create=True)
    assert feed is not None
    secret = secrets.token_urlsafe(32)
    feed.secret = secret
    feed.secret_hash = _hash(secret)
    feed.created_at = datetime.now(UTC)
    feed.last_used_at = None
    await s.flush()
    return feed


async def revoke(s: AsyncSession, user_id: int) -> bool:
    result = await s.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def owner_of(s: AsyncSession, secret: str) -> CalendarFeed | None:
    """The feed a secret opens. Found by hash: timing reveals nothing about the secret."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    feed = await s.scalar(select(CalendarFeed).where(CalendarFeed.secret_hash == _hash(secret)))
    if feed is None or not secrets.compare_digest(feed.secret, secret):
        return None
    return feed


async def feed_sessions(s: AsyncSession, user_id: int) -> tuple[Sequence[Session], dict[int, str]]:
    """Starred and signed-up sessions, and STATUS:TENTATIVE for a waitlisted seat."""
    starred = set(await s.scalars(select(Star.session_id).where(Star.user_id == user_id)))
    signups: dict[int, str] = {
        session_id: state
        for session_id, state in await s.execute(
            select(Signup.session_id, Signup.status).where(Signup.user_id == user_id)
        )
    }
    ids = sorted(starred | set(signups))
    rows: list[Session] = []
    for i in range(0, len(ids), 500):
        rows.extend(await s.scalars(select(Session).where(Session.id.in_(ids[i : i + 500]))))
    rows.sort(key=lambda x: (x.start_utc, x.id))
    status = {
        sid: TENTATIVE for sid, st in signups.items() if st == "waitlisted" and sid not in starred
    }
    return rows, status
