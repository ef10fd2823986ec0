"""Who is calling: the session cookie or a Bearer token, both the same opaque secret."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlalchemy import delete, select

from server.db.engine import Database
from server.db.tables import AuthToken, User
from server.names import SESSION_COOKIE

ROLES = ("participant", "moderator", "organiser")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_from_request(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(SESSION_COOKIE) or None


def came_with_cookie(request: web.Request) -> bool:
    return not request.headers.get("Authorization") and SESSION_COOKIE in request.cookies


async def issue_login(db: Database, user_id: int, days: int) -> str:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    async with db.write() as s:
        s.add(
            AuthToken(
                token_hash=_hash(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
        )
    return token


async def user_for_token(db: Database, token: str) -> User | None:
    if len(token) > 256:
        return None
    async with db.read() as s:
        row = (
            await s.execute(
                select(User)
                .join(AuthToken, AuthToken.user_id == User.id)
                .where(AuthToken.token_hash == _hash(token))
                .where(AuthToken.expires_at > datetime.now(UTC))
            )
        ).scalar_one_or_none()
    return row


async def revoke_login(db: Database, token: str) -> None:
    async with db.write() as s:
        await s.execute(delete(AuthToken).where(AuthToken.token_hash == _hash(token)))
