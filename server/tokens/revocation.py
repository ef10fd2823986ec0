"""Revocation by ``jti`` and by (person, session), session-wide revocation, and bans.

Every change is written to the database first (the truth, re-read by every node
at each resync), then applied to this node's in-memory blocklist, then — in
cluster mode — written to Redis as a key with a TTL (checked on connect) and
published so every other node's blocklist has it within milliseconds.

A (person, session) or session-wide revocation covers every token *issued up to
that second* (``iat`` ≤ cutoff): tokens issued afterwards (after an unban or a
new sign-up) are not affected. The cutoff has one-second resolution, so a token
issued in the very second of a revocation is revoked too — the safe side.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from server.appkeys import blocklist_key, db_key, redis_key, settings_key
from server.db.engine import Database
from server.db.tables import Base, Session, SessionType, User
from server.db.tables_tokens import Ban, RevokedToken
from server.names import (
    TOKENS_CHANNEL,
    ban_key,
    revoked_jti_key,
    revoked_person_key,
    revoked_session_key,
    revoked_subject_key,
)
from server.programme.changes import SessionChange
from server.programme.roles import role_in_session
from server.tokens.blocklist import Change, person_digest
from server.tokens.rules import signup_grants_access

log = logging.getLogger(__name__)

# Revocations of a session are kept this long past its end + grace, so a session
# moved later after tokens were issued is still covered.
_HORIZON_MARGIN = timedelta(days=1)
# A deleted session's end is unknown after the delete; keep its revocation this long.
_DELETED_HORIZON = timedelta(days=366)
MAX_JTI = 64


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def _insert(db: Database, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """INSERT … ON CONFLICT, which each dialect spells in its own module."""
    return sqlite.insert(model) if db.is_sqlite else postgresql.insert(model)


async def _horizon(app: web.Application, session_id: int, now: datetime) -> datetime:
    async with app[db_key].read() as s:
        end = await s.scalar(select(Session.end_utc).where(Session.id == session_id))
    if end is None:
        return now + _DELETED_HORIZON
    grace = timedelta(minutes=app[settings_key].join_grace_minutes)
    return max(end + grace, now) + _HORIZON_MARGIN


async def _share(app: web.Application, changes: Sequence[Change]) -> None:
    """Apply here at once; in cluster mode, store in Redis and tell every other node."""
    blocklist = app[blocklist_key]
    for change in changes:
        blocklist.apply(change)
    redis = app[redis_key]
    if redis is None:
        return
    try:
        async with redis.pipeline(transaction=True) as pipe:
            for c in changes:
                expires = max(c.expires, int(time.time()) + 1)
                if c.kind == "jti" and c.jti:
                    pipe.set(revoked_jti_key(c.jti), 1, exat=expires)
                elif c.kind == "subject" and c.user_public_id and c.session_id is not None:
                    key = revoked_subject_key(c.session_id, c.user_public_id)
                    pipe.set(key, c.cutoff or 0, exat=expires)
                elif c.kind == "session" and c.session_id is not None:
                    pipe.set(revoked_session_key(c.session_id), c.cutoff or 0, exat=expires)
                elif c.kind == "person" and c.user_public_id:
                    pipe.set(revoked_person_key(c.user_public_id), c.cutoff or 0, exat=expires)
                elif c.kind == "ban" and c.user_public_id and c.session_id is not None:
                    pipe.set(ban_key(c.session_id, c.user_public_id), c.until or 0, exat=expires)
                elif c.kind == "unban" and c.user_public_id and c.session_id is not None:
                    pipe.delete(ban_key(c.session_id, c.user_public_id))
                pipe.publish(TOKENS_CHANNEL, c.to_json())
            await pipe.execute()
    except (RedisError, OSError) as exc:
        # The database has it: every node picks it up at its next resync.
        log.warning("could not share a revocation over Redis (%s); nodes will resync", exc)


async def revoke_jti(app: web.Application, jti: str, exp: int) -> None:
    """Revokes one token; ``exp`` is its expiry (the row is kept until then)."""
    if not jti or len(jti) > MAX_JTI:
        raise ValueError("not a jti of ours")
    db = app[db_key]
    expires = exp + app[settings_key].token_leeway_seconds
    async with db.write() as s:
        await s.execute(
            _insert(db, RevokedToken)
            .values(
                scope="jti",
                jti=jti,
                expires_at=datetime.fromtimestamp(expires, UTC),
                reason="revoked",
                created_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["jti"])
        )
    await _share(app, [Change("jti", jti=jti, expires=expires)])


async def revoke_subject(
    app: web.Application, *, user_public_id: str, session_id: int, reason: str
) -> None:
    """Revokes every token issued so far to one person for one session."""
    now = datetime.now(UTC)
    change = await _store_cutoff(app, "subject", session_id, user_public_id, reason, now)
    await _share(app, [change])


async def revoke_session(app: web.Application, session_id: int, reason: str) -> None:
    """Revokes every token issued so far for one session, whoever holds it."""
    now = datetime.now(UTC)
    change = await _store_cutoff(app, "session", session_id, None, reason, now)
    await _share(app, [change])


async def revoke_person(app: web.Application, *, user_public_id: str, reason: str) -> None:
    """Revokes every token issued so far to one person, for every session: an erased
    account's tokens stop at once instead of at their expiry. Stored under
    ``person_digest``, so the erased public id itself is kept nowhere."""
    now = datetime.now(UTC)
    async with app[db_key].read() as s:
        last_end = await s.scalar(select(func.max(Session.end_utc)))
    grace = timedelta(minutes=app[settings_key].join_grace_minutes)
    # A token's expiry is its session's end (as it was when issued) plus grace; a session
    # since moved or deleted is covered by the same long horizon as a deleted session.
    expires = max(now + _DELETED_HORIZON, (last_end or now) + grace + _HORIZON_MARGIN)
    cutoff = now.replace(microsecond=0)
    digest = person_digest(user_public_id)
    async with app[db_key].write() as s:
        s.add(
            RevokedToken(
                scope="person",
                user_public_id=digest,
                iat_cutoff=cutoff,
                expires_at=expires,
                reason=reason[:32],
                created_at=now,
            )
        )
    change = Change("person", user_public_id=digest, cutoff=_epoch(cutoff), expires=_epoch(expires))
    await _share(app, [change])


async def _store_cutoff(
    app: web.Application,
    scope: str,
    session_id: int,
    user_public_id: str | None,
    reason: str,
    now: datetime,
) -> Change:
    expires = await _horizon(app, session_id, now)
    cutoff = now.replace(microsecond=0)
    async with app[db_key].write() as s:
        s.add(
            RevokedToken(
                scope=scope,
                session_id=session_id,
                user_public_id=user_public_id,
                iat_cutoff=cutoff,
                expires_at=expires,
                reason=reason[:32],
                created_at=now,
            )
        )
    return Change(
        scope,  # type: ignore[arg-type]
        session_id=session_id,
        user_public_id=user_public_id,
        cutoff=_epoch(cutoff),
        expires=_epoch(expires),
    )


async def ban(
    app: web.Application,
    *,
    user_public_id: str,
    session_id: int,
    by_user_id: int,
    reason: str,
    until: datetime | None,
) -> None:
    """Bans a person from a session and revokes their tokens for it, on every node."""
    db = app[db_key]
    now = datetime.now(UTC)
    expires = await _horizon(app, session_id, now)
    if until is not None:
        expires = max(expires, until)
    cutoff = now.replace(microsecond=0)
    values = {
        "session_id": session_id,
        "user_public_id": user_public_id,
        "by_user_id": by_user_id,
        "reason": reason,
        "until": until,
        "created_at": now,
    }
    async with db.write() as s:
        await s.execute(
            _insert(db, Ban)
            .values(**values)
            .on_conflict_do_update(
                index_elements=["session_id", "user_public_id"],
                set_={k: values[k] for k in ("by_user_id", "reason", "until", "created_at")},
            )
        )
        s.add(
            RevokedToken(
                scope="subject",
                session_id=session_id,
                user_public_id=user_public_id,
                iat_cutoff=cutoff,
                expires_at=expires,
                reason="ban",
                created_at=now,
            )
        )
    until_epoch = None if until is None else _epoch(until)
    await _share(
        app,
        [
            Change(
                "ban",
                session_id=session_id,
                user_public_id=user_public_id,
                until=until_epoch,
                expires=_epoch(expires),
            ),
            Change(
                "subject",
                session_id=session_id,
                user_public_id=user_public_id,
                cutoff=_epoch(cutoff),
                expires=_epoch(expires),
            ),
        ],
    )


async def unban(app: web.Application, *, user_public_id: str, session_id: int) -> bool:
    """Lifts a ban (tokens revoked by it stay revoked; a new one may be issued)."""
    async with app[db_key].write() as s:
        result = await s.execute(
            delete(Ban).where(Ban.session_id == session_id, Ban.user_public_id == user_public_id)
        )
    await _share(app, [Change("unban", session_id=session_id, user_public_id=user_public_id)])
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def is_banned(app: web.Application, user_public_id: str, session_id: int) -> bool:
    """In-memory: cheap enough for every live event; kept current by pub/sub and resync."""
    return app[blocklist_key].is_banned(user_public_id, session_id)


class Revocable(Protocol):
    """What a revocation check reads: ``JoinClaims``, or anything carrying the same four."""

    @property
    def jti(self) -> str: ...

    @property
    def sub(self) -> str: ...

    @property
    def sid(self) -> int: ...

    @property
    def iat(self) -> int: ...


async def is_revoked(app: web.Application, claims: Revocable) -> bool:
    """In-memory check of a verified token's claims (``JoinClaims``)."""
    return app[blocklist_key].is_revoked(claims.jti, claims.sub, claims.sid, claims.iat)


async def shared_verdict(
    app: web.Application, jti: str, sub: str, sid: int, iat: int
) -> str | None:
    """Cluster mode: asks Redis directly (one round trip), for when a pub/sub message was
    lost. ``"banned"``, ``"revoked"`` or None; None too when Redis cannot answer."""
    redis = app[redis_key]
    if redis is None:
        return None
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.get(ban_key(sid, sub))
            pipe.exists(revoked_jti_key(jti))
            pipe.get(revoked_subject_key(sid, sub))
            pipe.get(revoked_session_key(sid))
            pipe.get(revoked_person_key(person_digest(sub)))
            banned, jti_hit, subject_cut, session_cut, person_cut = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("revocation check fell back to memory: Redis did not answer (%s)", exc)
        return None
    if banned is not None and (int(banned) == 0 or time.time() < int(banned)):
        return "banned"
    if jti_hit:
        return "revoked"
    for cut in (subject_cut, session_cut, person_cut):
        if cut is not None and iat <= int(cut):
            return "revoked"
    return None


async def revoke_cancelled_signup(app: web.Application, user: User, session_id: int) -> None:
    """After a cancelled sign-up: revoke the person's tokens if the sign-up was their way in."""
    async with app[db_key].read() as s:
        row = (
            await s.execute(
                select(Session.open_to_all, Session.capacity, SessionType.interactive)
                .join(SessionType, SessionType.id == Session.type_id)
                .where(Session.id == session_id)
            )
        ).one_or_none()
        if row is None:
            return
        role = await role_in_session(s, user, session_id)
    if role == "participant" and signup_grants_access(
        row.open_to_all, row.interactive, row.capacity
    ):
        await revoke_subject(
            app, user_public_id=user.public_id, session_id=session_id, reason="signup_cancelled"
        )


async def on_programme_change(app: web.Application, change: SessionChange) -> None:
    if change.kind in ("cancelled", "deleted"):
        await revoke_session(app, change.session_id, reason=change.kind)


# --- resync and housekeeping ---------------------------------------------------------------


async def resync(app: web.Application) -> None:
    """Rebuild this node's blocklist from the database (start, and every refresh)."""
    started = time.monotonic()
    now = datetime.now(UTC)
    async with app[db_key].read() as s:
        rows = (await s.scalars(select(RevokedToken).where(RevokedToken.expires_at > now))).all()
        bans = (await s.scalars(select(Ban).where(or_(Ban.until.is_(None), Ban.until > now)))).all()
    changes = [
        Change(
            r.scope,  # type: ignore[arg-type]
            session_id=r.session_id,
            user_public_id=r.user_public_id,
            jti=r.jti,
            cutoff=None if r.iat_cutoff is None else _epoch(r.iat_cutoff),
            expires=_epoch(r.expires_at),
        )
        for r in rows
    ]
    changes += [
        Change(
            "ban",
            session_id=b.session_id,
            user_public_id=b.user_public_id,
            until=None if b.until is None else _epoch(b.until),
        )
        for b in bans
    ]
    blocklist = app[blocklist_key]
    blocklist.replace(changes, started)
    blocklist.purge(time.time())


async def purge_expired(app: web.Application) -> None:
    now = datetime.now(UTC)
    async with app[db_key].write() as s:
        await s.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        await s.execute(delete(Ban).where(Ban.until.is_not(None), Ban.until < now))
