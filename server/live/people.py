"""Accounts as the live rooms see them: public id and display name, never an email."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables import User
from server.live import errors
from server.live.errors import LiveError
from server.programme.roles import role_in_session


async def by_public_id(s: AsyncSession, public_id: str) -> User | None:
    return await s.scalar(select(User).where(User.public_id == public_id))


async def moderation_target(s: AsyncSession, public_id: str, session_id: int) -> User:
    """The person a moderator acts on: must exist and must not run the session themselves."""
    user = await by_public_id(s, public_id)
    if user is None:
        raise LiveError(errors.NOT_FOUND, f"nobody has the id {public_id!r}")
    if await role_in_session(s, user, session_id) in ("organiser", "moderator"):
        raise LiveError(errors.INVALID_TARGET, "moderators cannot act on other moderators")
    return user
