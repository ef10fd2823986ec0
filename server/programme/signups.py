"""Sign-ups to capacity-limited sessions: confirm while seats last, then a fair waitlist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables import Session, Signup

CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"


@dataclass(frozen=True)
class SignupResult:
    status: str
    waitlist_position: int | None
    created: bool


async def lock_session(s: AsyncSession, session_id: int) -> Session | None:
    """Row lock on PostgreSQL so two last-seat sign-ups cannot both win (SQLite: write lock)."""
    return (
        await s.execute(select(Session).where(Session.id == session_id).with_for_update())
    ).scalar_one_or_none()


async def _confirmed(s: AsyncSession, session_id: int) -> int:
    return (
        await s.scalar(
            select(func.count()).where(Signup.session_id == session_id, Signup.status == CONFIRMED)
        )
        or 0
    )


async def waitlist_position(s: AsyncSession, signup: Signup) -> int | None:
    if signup.status != WAITLISTED:
        return None
    ahead = await s.scalar(
        select(func.count()).where(
            Signup.session_id == signup.session_id,
            Signup.status == WAITLISTED,
            Signup.id < signup.id,
        )
    )
    return (ahead or 0) + 1


async def sign_up(s: AsyncSession, session: Session, user_id: int) -> SignupResult:
    existing = await s.scalar(
        select(Signup).where(Signup.session_id == session.id, Signup.user_id == user_id)
    )
    if existing is not None:
        return SignupResult(existing.status, await waitlist_position(s, existing), False)
    full = session.capacity is not None and await _confirmed(s, session.id) >= session.capacity
    signup = Signup(
        user_id=user_id, session_id=session.id, status=WAITLISTED if full else CONFIRMED
    )
    s.add(signup)
    await s.flush()
    return SignupResult(signup.status, await waitlist_position(s, signup), True)


async def promote(s: AsyncSession, session: Session) -> list[Signup]:
    """Fill free seats from the head of the waitlist; returns who was promoted."""
    free = None if session.capacity is None else session.capacity - await _confirmed(s, session.id)
    stmt = (
        select(Signup)
        .where(Signup.session_id == session.id, Signup.status == WAITLISTED)
        .order_by(Signup.id)
    )
    if free is not None:
        if free <= 0:
            return []
        stmt = stmt.limit(free)
    promoted = list((await s.scalars(stmt)).all())
    now = datetime.now(UTC)
    for signup in promoted:
        signup.status = CONFIRMED
        signup.promoted_at = now
    await s.flush()
    return promoted


async def cancel(s: AsyncSession, session: Session, user_id: int) -> tuple[bool, list[Signup]]:
    """Remove a sign-up; a freed seat goes to the next on the waitlist at once."""
    signup = await s.scalar(
        select(Signup).where(Signup.session_id == session.id, Signup.user_id == user_id)
    )
    if signup is None:
        return False, []
    await s.delete(signup)
    await s.flush()
    return True, await promote(s, session)
