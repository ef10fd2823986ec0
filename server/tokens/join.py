"""Join tokens: issue one when the rules say yes, and verify one strictly.

A join token admits one person (``sub``, the opaque ``users.public_id``) to one
session (``sid``, ``aud`` ``forumlive:session:<id>``) in one role, between ``nbf``
(the window opens) and ``exp`` (end + grace). EdDSA only; the header names the
``kid`` and nothing else is trusted from it: keys come only from our key ring,
never from ``jku``/``jwk``/``x5u`` (a header carrying any of them is refused).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt
from aiohttp import web
from sqlalchemy import func, or_, select

from server.api.errors import ApiError, not_found
from server.appkeys import blocklist_key, db_key, keyring_key, metrics_key, settings_key
from server.db.tables import Session, SessionType, Signup, User
from server.db.tables_tokens import Ban
from server.programme.roles import role_in_session
from server.programme.signups import CONFIRMED, lock_session
from server.tokens.keys import ALGORITHM, KID_PATTERN, Signer
from server.tokens.revocation import shared_verdict
from server.tokens.rules import TOKEN_ROLES, Grant, JoinFacts, JoinPolicy, JoinRefused, decide

REQUIRED_CLAIMS = ("iss", "aud", "sub", "sid", "role", "nbf", "exp", "iat", "jti")
_REQUIRED_SET = frozenset(REQUIRED_CLAIMS)
_HEADER_KEYS = frozenset({"alg", "typ", "kid"})
MAX_TOKEN_CHARS = 4096
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def audience(session_id: int) -> str:
    return f"forumlive:session:{session_id}"


@dataclass(frozen=True)
class JoinClaims:
    sub: str  # users.public_id
    sid: int
    role: str  # participant | speaker | moderator | captioner
    jti: str
    exp: int
    nbf: int
    name: str | None = None  # never in the token: look the display name up server-side
    iat: int = 0  # revocations by (person, session) cover tokens issued up to a cutoff


class TokenError(Exception):
    """A refused token; ``code`` is one of invalid_token, expired, not_yet_valid, revoked,
    wrong_session, banned."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: JoinClaims


# --- verification ------------------------------------------------------------------------


def _invalid(message: str = "the token is not valid") -> TokenError:
    return TokenError("invalid_token", message)


def _kid_of(token: str) -> str:
    """The kid from the (not yet verified) header: only used to pick one of our keys."""
    head, dot, _ = token.partition(".")
    if not dot or len(head) > 512:
        raise _invalid("the token is malformed")
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid("the token header is malformed") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise _invalid("the token names no key of ours")
    return kid


def _is_int(value: Any) -> bool:
    return type(value) is int  # bool is an int subclass and is not a timestamp


async def decode_join_token(
    app: web.Application, token: str, session_id: int | None = None
) -> JoinClaims:
    """Signature and claims only (no revocation check)."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise _invalid()
    kid = _kid_of(token)
    keyring = app[keyring_key]
    key = keyring.verification_key(kid)
    if key is None and await keyring.reload_soon():  # a rotation this node has not seen yet
        key = keyring.verification_key(kid)
    if key is None:
        raise _invalid("the token was signed by a key we do not know (or no longer trust)")
    settings = app[settings_key]
    try:
        decoded = jwt.decode_complete(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=settings.token_issuer,
            leeway=settings.token_leeway_seconds,
            options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("expired", "the token has expired") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("not_yet_valid", "the token is not valid yet") from None
    except jwt.PyJWTError:
        raise _invalid() from None
    header, p = decoded["header"], decoded["payload"]
    if (
        not _HEADER_KEYS.issuperset(header)
        or header.get("typ") != "JWT"
        or header.get("alg") != ALGORITHM
        or header.get("kid") != kid
    ):
        raise _invalid("the token header is not ours")
    if p.keys() != _REQUIRED_SET:
        raise _invalid("the token's claims are not those of a join token")
    sid, sub, jti, role = p["sid"], p["sub"], p["jti"], p["role"]
    if (
        not _is_int(sid)
        or sid <= 0
        or p["aud"] != audience(sid)
        or p["iss"] != settings.token_issuer
        or role not in TOKEN_ROLES
        or not isinstance(sub, str)
        or not _ID.fullmatch(sub)
        or not isinstance(jti, str)
        or not _ID.fullmatch(jti)
        or not all(_is_int(p[k]) for k in ("nbf", "exp", "iat"))
    ):
        raise _invalid("the token's claims are not valid")
    if session_id is not None and sid != session_id:
        raise TokenError("wrong_session", "the token is for another session")
    return JoinClaims(sub, sid, role, jti, p["exp"], p["nbf"], None, p["iat"])


async def verify_join_token(
    app: web.Application, token: str, session_id: int | None = None
) -> JoinClaims:
    """Signature and claims, then bans and revocations (memory; Redis too in cluster mode)."""
    claims = await decode_join_token(app, token, session_id)
    blocklist = app[blocklist_key]
    if blocklist.is_banned(claims.sub, claims.sid):
        raise TokenError("banned", "you have been removed from this session")
    if blocklist.is_revoked(claims.jti, claims.sub, claims.sid, claims.iat):
        raise TokenError("revoked", "the token has been revoked")
    verdict = await shared_verdict(app, claims.jti, claims.sub, claims.sid, claims.iat)
    if verdict == "banned":
        raise TokenError("banned", "you have been removed from this session")
    if verdict == "revoked":
        raise TokenError("revoked", "the token has been revoked")
    return claims


# --- issuing -----------------------------------------------------------------------------


def sign_join_token(signer: Signer, issuer: str, grant: Grant, now: int) -> IssuedToken:
    """The signing step alone: no I/O (the benchmark measures this against bare PyJWT)."""
    jti = secrets.token_urlsafe(16)
    nbf, exp = grant.nbf, grant.exp
    token = jwt.encode(
        {
            "iss": issuer,
            "aud": audience(grant.session_id),
            "sub": grant.subject,
            "sid": grant.session_id,
            "role": grant.role,
            "nbf": nbf,
            "exp": exp,
            "iat": now,
            "jti": jti,
        },
        signer.private,
        algorithm=ALGORITHM,
        headers=signer.headers,
    )
    return IssuedToken(
        token, JoinClaims(grant.subject, grant.session_id, grant.role, jti, exp, nbf, None, now)
    )


async def current_signer(app: web.Application, exp: int) -> Signer:
    """The key to sign with, its use for a token until ``exp`` recorded first (so the key
    cannot retire under the token)."""
    keyring = app[keyring_key]
    for _ in range(2):
        signer = keyring.signer
        if signer is not None and await keyring.note_expiry(signer.kid, exp):
            return signer
        await keyring.reload()  # retired under us, or none yet: the database knows better
    raise ApiError(503, "no_signing_key", "no signing key is available; retry shortly")


async def sign_grant(app: web.Application, grant: Grant) -> IssuedToken:
    signer = await current_signer(app, grant.exp)
    issued = sign_join_token(signer, app[settings_key].token_issuer, grant, int(time.time()))
    metrics = app.get(metrics_key)  # absent in apps built without create_app (benchmarks)
    if metrics is not None:
        metrics.join_tokens.labels(grant.role).inc()
    return issued


async def _facts(app: web.Application, user: User, session_id: int, now: datetime) -> JoinFacts:
    """Two round trips: the session with the caller's ban and sign-up, then the role."""
    ban = (
        Ban.session_id == Session.id,
        Ban.user_public_id == user.public_id,
        or_(Ban.until.is_(None), Ban.until > now),
    )
    async with app[db_key].read() as s:
        row = (
            await s.execute(
                select(
                    Session.state,
                    Session.start_utc,
                    Session.end_utc,
                    Session.capacity,
                    Session.open_to_all,
                    SessionType.interactive,
                    select(Ban.id).where(*ban).limit(1).scalar_subquery().label("ban_id"),
                    select(Ban.until).where(*ban).limit(1).scalar_subquery().label("ban_until"),
                    select(Signup.status)
                    .where(Signup.session_id == Session.id, Signup.user_id == user.id)
                    .scalar_subquery()
                    .label("signup"),
                )
                .join(SessionType, SessionType.id == Session.type_id)
                .where(Session.id == session_id)
            )
        ).one_or_none()
        if row is None:
            raise not_found("session", session_id)
        entitled = await role_in_session(s, user, session_id)
    return JoinFacts(
        session_id=session_id,
        subject=user.public_id,
        state=row.state,
        start=row.start_utc,
        end=row.end_utc,
        capacity=row.capacity,
        open_to_all=row.open_to_all,
        interactive=row.interactive,
        entitled=entitled,
        signup=row.signup if entitled == "participant" else None,
        banned=row.ban_id is not None,
        banned_until=row.ban_until,
    )


async def _take_seat(app: web.Application, user_id: int, session_id: int) -> None:
    """Open-to-all interactive sessions with a capacity: joining takes a seat, if one is left."""
    async with app[db_key].write() as s:
        row = await lock_session(s, session_id)  # no two last-seat joins both win
        if row is None:
            raise not_found("session", session_id)
        existing = await s.scalar(
            select(Signup).where(Signup.session_id == session_id, Signup.user_id == user_id)
        )
        if existing is not None and existing.status == CONFIRMED:
            return
        taken = await s.scalar(
            select(func.count()).where(Signup.session_id == session_id, Signup.status == CONFIRMED)
        )
        if row.capacity is not None and (taken or 0) >= row.capacity:
            raise JoinRefused("full", "the session is full", {"capacity": row.capacity})
        if existing is None:
            s.add(Signup(user_id=user_id, session_id=session_id, status=CONFIRMED))
        else:
            existing.status = CONFIRMED


async def decide_join(
    app: web.Application, user: User, session_id: int, role: str | None = None
) -> Grant:
    """The issuing decision for ``user`` (raises ``JoinRefused`` with its reason code)."""
    now = datetime.now(UTC)
    facts = await _facts(app, user, session_id, now)
    grant = decide(facts, role, now, JoinPolicy.of(app[settings_key]))
    if grant.takes_seat:
        await _take_seat(app, user.id, session_id)
    return grant


async def issue_join_token(
    app: web.Application, user: User, session_id: int, role: str | None = None
) -> IssuedToken:
    return await sign_grant(app, await decide_join(app, user, session_id, role))


async def reissue_with_role(app: web.Application, claims: JoinClaims, role: str) -> IssuedToken:
    """A token like ``claims`` (same person, session and window) in another role — for a
    moderator granting the floor. The caller has checked the moderator's right to do so."""
    if role not in TOKEN_ROLES:
        raise ValueError(f"unknown role {role!r}")
    grant = Grant(
        claims.sid,
        claims.sub,
        role,
        datetime.fromtimestamp(claims.nbf, UTC),
        datetime.fromtimestamp(claims.exp, UTC),
    )
    return await sign_grant(app, grant)
