"""Erasing an account: personal data removed, what others rely on kept but anonymised.

What the room saw (chat messages, questions, the moderation log) stays, so a
conversation keeps its shape, but under a fresh opaque id and a neutral name that
lead back to nobody. Everything that only concerned the person (logins, stars,
sign-ups, the calendar feed secret, votes, hands, mutes, bans, revocations,
reminders) is deleted; references to them from other people's rows (a poll they
created, a caption they pushed, a ban they issued) become NULL. The schema is
walked for foreign keys to ``users.id``, so a table added later is covered
without touching this module: CASCADE rows are deleted, SET NULL columns nulled.

After the database, the person's traces outside it go too: Redis keys named by
their public id (rate buckets, presence, bans), their failed-login counter, and
mail still spooled for them. Logs never held their email or name to begin with
(see docs/security.md).
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy import Column, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.registration import normalise_email
from server.appkeys import db_key, login_throttle_key, mailer_key, redis_key
from server.db.schema import metadata
from server.db.tables import Session, Signup, User
from server.db.tables_live import ChatMessage, ModerationAction, Question
from server.db.tables_tokens import Ban, RevokedToken
from server.names import REDIS_PREFIX, presence_roster_key
from server.programme.signups import cancel, lock_session

log = logging.getLogger(__name__)

ANONYMOUS_NAME = "Former participant"
REMOVED = "[removed]"
_SCAN_BATCH = 500


class LastOrganiser(Exception):
    """The only organiser cannot erase themselves: nobody could run the event after."""


@dataclass
class Erasure:
    """What happened, for the answer and the (id-only) log line."""

    user_id: int
    anonymous_id: str
    messages_anonymised: int = 0
    anonymised_seqs: dict[int, list[int]] = field(default_factory=dict)  # session -> chat seqs
    questions_anonymised: int = 0
    rows_deleted: dict[str, int] = field(default_factory=dict)
    references_cleared: dict[str, int] = field(default_factory=dict)
    promoted: dict[int, list[int]] = field(default_factory=dict)  # session -> user ids
    redis_keys_deleted: int = 0
    mails_deleted: int = 0
    # Kept for the steps after the transaction (Redis, mail, live rooms), never returned.
    public_id: str = field(default="", repr=False)
    email: str = field(default="", repr=False)


def _user_references() -> list[tuple[Table, Column[int], str | None]]:
    """Every column of the schema that points at ``users.id``, with its ON DELETE rule."""
    found: list[tuple[Table, Column[int], str | None]] = []
    for table in metadata.sorted_tables:
        if table.name == User.__tablename__:
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == User.__tablename__:
                rule = (fk.ondelete or "").upper() or None
                found.append((table, fk.parent, rule))  # type: ignore[arg-type]
    return found


def _scrub(text: str | None, email: str) -> str | None:
    """The person's own address, wherever they typed it into what is kept."""
    if not text or not email:
        return text
    return re.sub(re.escape(email), REMOVED, text, flags=re.IGNORECASE)


async def _anonymise_live(s: AsyncSession, user: User, anon: str, report: Erasure) -> None:
    pid, uid = user.public_id, user.id
    messages = list(
        await s.scalars(
            select(ChatMessage).where(
                (ChatMessage.user_id == uid) | (ChatMessage.author_public_id == pid)
            )
        )
    )
    for m in messages:
        m.user_id = None
        m.author_public_id = anon
        m.author_name = ANONYMOUS_NAME
        m.text = _scrub(m.text, user.email) or ""
        report.anonymised_seqs.setdefault(m.session_id, []).append(m.seq)
    report.messages_anonymised = len(messages)
    questions = list(
        await s.scalars(
            select(Question).where((Question.user_id == uid) | (Question.author_public_id == pid))
        )
    )
    for q in questions:
        q.user_id = None
        q.author_public_id = anon
        q.author_name = ANONYMOUS_NAME
        q.text = _scrub(q.text, user.email) or ""
    report.questions_anonymised = len(questions)
    await s.execute(
        update(ModerationAction)
        .where((ModerationAction.actor_user_id == uid) | (ModerationAction.actor_public_id == pid))
        .values(actor_user_id=None, actor_public_id=anon)
    )
    about = list(
        await s.scalars(select(ModerationAction).where(ModerationAction.target_public_id == pid))
    )
    for action in about:
        action.target_public_id = anon
        # A deleted message's text is kept for review; the address in it is not.
        action.details = {
            k: (_scrub(v, user.email) if isinstance(v, str) else v)
            for k, v in (action.details or {}).items()
        }


async def _release_seats(s: AsyncSession, uid: int, report: Erasure) -> None:
    """Cancel each sign-up the way the person would have: the waitlist moves up."""
    session_ids = list(await s.scalars(select(Signup.session_id).where(Signup.user_id == uid)))
    for session_id in sorted(session_ids):
        session: Session | None = await lock_session(s, session_id)
        if session is None:
            continue
        _removed, promoted = await cancel(s, session, uid)
        if promoted:
            report.promoted[session_id] = [p.user_id for p in promoted]


async def _erase_rows(s: AsyncSession, user: User, report: Erasure) -> None:
    pid, uid = user.public_id, user.id
    for model in (Ban, RevokedToken):
        result = await s.execute(delete(model).where(model.user_public_id == pid))
        report.rows_deleted[model.__tablename__] = result.rowcount  # type: ignore[attr-defined]
    # Children before parents is what sorted_tables gives; deleting explicitly (rather than
    # trusting ON DELETE) also holds on a SQLite connection without foreign_keys=ON.
    for table, column, rule in _user_references():
        if rule == "CASCADE":
            result = await s.execute(delete(table).where(column == uid))
            if result.rowcount:  # type: ignore[attr-defined]
                report.rows_deleted[table.name] = result.rowcount  # type: ignore[attr-defined]
        else:
            result = await s.execute(update(table).where(column == uid).values({column.name: None}))
            if result.rowcount:  # type: ignore[attr-defined]
                key = f"{table.name}.{column.name}"
                report.references_cleared[key] = result.rowcount  # type: ignore[attr-defined]
    await s.delete(user)


async def _organisers(s: AsyncSession) -> int:
    return int(await s.scalar(select(func.count()).where(User.role == "organiser")) or 0)


async def erase_in_database(app: web.Application, user_id: int) -> Erasure | None:
    """One transaction: anonymise, release seats, delete. ``None`` if the account is gone."""
    async with app[db_key].write() as s:
        user = await s.get(User, user_id, with_for_update=True)
        if user is None:
            return None
        if user.role == "organiser" and await _organisers(s) <= 1:
            raise LastOrganiser
        report = Erasure(user_id=user.id, anonymous_id=uuid.uuid4().hex)
        report.public_id, report.email = user.public_id, user.email
        await _anonymise_live(s, user, report.anonymous_id, report)
        await _release_seats(s, user.id, report)
        await _erase_rows(s, user, report)
    return report


async def forget_in_redis(redis: Redis, public_id: str) -> int:
    """Keys named by the public id (rate buckets, slow mode, bans, revocations) and the
    person's presence roster entries. Returns how many keys and fields were removed."""
    removed = 0
    async for key in redis.scan_iter(match=f"{REDIS_PREFIX}*{public_id}*", count=_SCAN_BATCH):
        removed += int(await redis.delete(key))
    async for roster in redis.scan_iter(match=presence_roster_key("*"), count=_SCAN_BATCH):  # type: ignore[arg-type]
        async for name, _value in redis.hscan_iter(roster, match=f"*{public_id}*"):
            removed += int(await redis.hdel(roster, name))
    return removed


def _addressed_to(path: Path, email: str) -> bool:
    try:
        with path.open("rb") as f:
            headers = BytesParser(policy=default_policy).parse(f, headersonly=True)
    except OSError:
        return False
    recipients = getaddresses([str(v) for v in headers.get_all("To", [])])
    return any(normalise_email(addr) == email for _, addr in recipients)


def forget_mail(folders: list[Path], email: str) -> int:
    """Mail not yet sent (spool, failed) or kept as sent (outbox) for this address."""
    deleted = 0
    for folder in folders:
        for path in folder.glob("*.eml"):
            if _addressed_to(path, email):
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


async def forget_outside_database(app: web.Application, report: Erasure) -> None:
    from server.api.auth import login_throttle_keys  # the API owns the key format

    email_key, _ip_key = login_throttle_keys(report.email, "")
    await app[login_throttle_key].reset(email_key)
    redis = app[redis_key]
    if redis is not None:
        report.redis_keys_deleted = await forget_in_redis(redis, report.public_id)
    mailer = app.get(mailer_key)
    if mailer is not None:
        folders = [mailer.spool, mailer.outbox, mailer.failed]
        report.mails_deleted = await asyncio.to_thread(forget_mail, folders, report.email)
