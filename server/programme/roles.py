"""What an account is in one session: organiser, moderator, speaker or participant."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables import Person, SessionPerson, User

SessionRole = Literal["organiser", "moderator", "speaker", "participant"]


async def role_in_session(s: AsyncSession, user: User, session_id: int) -> SessionRole:
    """Organisers run everything; otherwise the panel role of the person linked to the account."""
    if user.role == "organiser":
        return "organiser"
    roles = set(
        await s.scalars(
            select(SessionPerson.role)
            .join(Person, Person.id == SessionPerson.person_id)
            .where(Person.user_id == user.id, SessionPerson.session_id == session_id)
        )
    )
    if "moderator" in roles:
        return "moderator"
    if "speaker" in roles:
        return "speaker"
    return "participant"


async def may_moderate(s: AsyncSession, user: User, session_id: int) -> bool:
    return await role_in_session(s, user, session_id) in ("organiser", "moderator")
