"""Creating accounts (API registration and ``forumlive create-organiser``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.accounts.passwords import hash_password
from server.db.engine import Database
from server.db.tables import User


class EmailTaken(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    db: Database,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "participant",
    organisation: str = "",
    country: str = "",
    stakeholder_group: str = "other",
    gender: str | None = None,
) -> User:
    password_hash = await hash_password(password)  # outside the write lock: it is slow on purpose
    email = normalise_email(email)
    try:
        async with db.write() as s:
            if await s.scalar(select(User.id).where(func.lower(User.email) == email)):
                raise EmailTaken(email)
            user = User(
                email=email,
                name=name,
                password_hash=password_hash,
                role=role,
                organisation=organisation,
                country=country,
                stakeholder_group=stakeholder_group,
                gender=gender,
            )
            s.add(user)
            await s.flush()
    except IntegrityError:
        # A concurrent registration of the same address (PostgreSQL: no write lock) won
        # the unique index between our check and our insert.
        raise EmailTaken(email) from None
    return user
