"""Ed25519 signing keys: creation, sealing, rotation, retirement, JWKS, and the in-memory ring.

One key is *current* and signs; keys rotated out keep verifying until the last
token they signed has expired, then they *retire*: the private half is erased
and the key leaves the JWKS and every node's cache. Every node reads keys from
the database, so a rotation made anywhere (``forumlive keys rotate``) is seen
everywhere at its next refresh — at once in cluster mode, where it is announced.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.tables_tokens import SigningKey
from server.tokens.secret import SecretBox, SecretMismatch

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
# Our kids are 16 url-safe characters; anything else is not ours and is never looked up.
KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,32}$")
# A rotated-out key stays at least this long, so a node that has not yet heard of the
# rotation and still signs with it cannot see its key vanish under a fresh token.
ROTATION_SETTLE = timedelta(seconds=60)
_PG_LOCK_KEY = 7_317_004  # serialises key creation across nodes (PostgreSQL)


def new_kid() -> str:
    return secrets.token_urlsafe(12)


def _epoch(value: datetime | None) -> int:
    return -1 if value is None else int(value.timestamp())


def jwk(kid: str, raw_public: bytes) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": base64.urlsafe_b64encode(raw_public).rstrip(b"=").decode(),
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
    }


@dataclass(frozen=True)
class Signer:
    kid: str
    private: Ed25519PrivateKey
    headers: dict[str, str]  # PyJWT adds ``alg`` and ``typ: JWT``


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    status: str  # current | verifying | retired
    created_at: datetime
    rotated_out_at: datetime | None
    last_token_expires_at: datetime | None
    retired_at: datetime | None


# --- the database side -------------------------------------------------------------------


async def _lock(db: Database, s: AsyncSession) -> None:
    if db.engine.dialect.name == "postgresql":
        await s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


def _new_row(box: SecretBox, now: datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    kid = new_kid()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return SigningKey(
        kid=kid,
        algorithm=ALGORITHM,
        public_key=private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        private_key=box.seal(raw_private, kid),
        created_at=now,
    )


async def _make_current(db: Database, box: SecretBox, *, only_if_none: bool) -> str:
    now = datetime.now(UTC)
    async with db.write() as s:
        await _lock(db, s)
        current = (
            await s.scalars(
                select(SigningKey)
                .where(SigningKey.rotated_out_at.is_(None), SigningKey.retired_at.is_(None))
                .order_by(SigningKey.id.desc())
            )
        ).all()
        if only_if_none and current:
            # Two current keys can only come from a race without the lock (SQLite, two
            # processes): keep the newest, rotate the others out.
            for stale in current[1:]:
                stale.rotated_out_at = now
            return current[0].kid
        for old in current:
            old.rotated_out_at = now
        row = _new_row(box, now)
        s.add(row)
        await s.flush()
        return row.kid


async def ensure_current_key(db: Database, box: SecretBox) -> str:
    """The current key's kid; the first start creates one."""
    return await _make_current(db, box, only_if_none=True)


async def rotate(db: Database, box: SecretBox) -> str:
    """Makes a new key current; the old one keeps verifying until its tokens expire."""
    kid = await _make_current(db, box, only_if_none=False)
    log.info("signing key rotated: %s is current", kid)
    return kid


async def retire_expired(db: Database, *, leeway_seconds: int) -> list[str]:
    """Retires rotated-out keys whose last token has expired; erases their private half."""
    now = datetime.now(UTC)
    dead_before = now - timedelta(seconds=leeway_seconds)
    async with db.write() as s:
        kids = list(
            await s.scalars(
                update(SigningKey)
                .where(
                    SigningKey.retired_at.is_(None),
                    SigningKey.rotated_out_at.is_not(None),
                    SigningKey.rotated_out_at < now - ROTATION_SETTLE,
                    or_(
                        SigningKey.last_token_expires_at.is_(None),
                        SigningKey.last_token_expires_at < dead_before,
                    ),
                )
                .values(retired_at=now, private_key=None)
                .returning(SigningKey.kid)
            )
        )
    if kids:
        log.info("signing keys retired: %s", ", ".join(kids))
    return kids


async def list_keys(db: Database) -> list[KeyInfo]:
    async with db.read() as s:
        rows = (await s.scalars(select(SigningKey).order_by(SigningKey.id))).all()
    return [
        KeyInfo(
            kid=r.kid,
            status="retired"
            if r.retired_at is not None
            else ("verifying" if r.rotated_out_at is not None else "current"),
            created_at=r.created_at,
            rotated_out_at=r.rotated_out_at,
            last_token_expires_at=r.last_token_expires_at,
            retired_at=r.retired_at,
        )
        for r in rows
    ]


# --- the in-memory ring ------------------------------------------------------------------


class KeyRing:
    """The signer and the verification keys of this node, cached in memory.

    Verification never reads a key from anywhere but this cache: a token's header
    names a ``kid``, and only a kid we created can be found.
    """

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box
        self.signer: Signer | None = None
        self._public: dict[str, Ed25519PublicKey] = {}
        self._raw: dict[str, bytes] = {}
        self._max_exp: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._last_reload = float("-inf")
        self.reloads = 0  # observable in tests: an injected kid must not cause one

    async def reload(self) -> None:
        async with self._lock:
            await self._reload()

    async def _reload(self) -> None:
        async with self.db.read() as s:
            rows = (
                await s.scalars(
                    select(SigningKey)
                    .where(SigningKey.retired_at.is_(None))
                    .order_by(SigningKey.id)
                )
            ).all()
        current = [r for r in rows if r.rotated_out_at is None]
        self._public = {r.kid: Ed25519PublicKey.from_public_bytes(r.public_key) for r in rows}
        self._raw = {r.kid: r.public_key for r in rows}
        for r in rows:
            known = self._max_exp.get(r.kid, -1)
            self._max_exp[r.kid] = max(known, _epoch(r.last_token_expires_at))
        if current:
            newest = current[-1]
            if self.signer is None or self.signer.kid != newest.kid:
                self.signer = self._unseal(newest)
        elif self.signer is not None and self.signer.kid not in self._public:
            self.signer = None  # our key retired and no successor yet: refuse to sign
        self._last_reload = time.monotonic()
        self.reloads += 1

    def _unseal(self, row: SigningKey) -> Signer:
        if row.private_key is None:
            raise SecretMismatch(f"signing key {row.kid} has no private half")
        try:
            raw = self.box.open(row.private_key, row.kid)
        except SecretMismatch:
            raise SecretMismatch(
                f"signing key {row.kid} cannot be unsealed with this FORUMLIVE_SECRET_KEY: "
                "use the secret it was made with, or run `forumlive keys rotate` to make a "
                "new key under this one"
            ) from None
        return Signer(row.kid, Ed25519PrivateKey.from_private_bytes(raw), {"kid": row.kid})

    async def reload_soon(self, min_interval: float = 1.0) -> bool:
        """Reload unless one happened within ``min_interval`` s (an unknown kid may be new)."""
        if time.monotonic() - self._last_reload < min_interval:
            return False
        async with self._lock:
            if time.monotonic() - self._last_reload < min_interval:
                return False
            await self._reload()
        return True

    def verification_key(self, kid: str) -> Ed25519PublicKey | None:
        return self._public.get(kid)

    def jwks(self) -> list[dict[str, str]]:
        return [jwk(kid, raw) for kid, raw in self._raw.items()]

    async def note_expiry(self, kid: str, exp: int) -> bool:
        """Records that ``kid`` signed a token valid until ``exp``, before the token leaves.

        A write happens only when ``exp`` is later than any seen so far for the key
        (tokens of one session share their ``exp``), so issuing stays cheap.
        False when the key was retired meanwhile: the caller signs again with a fresh key.
        """
        if self._max_exp.get(kid, -1) >= exp:
            return True
        at = datetime.fromtimestamp(exp, UTC)
        async with self.db.write() as s:
            result = await s.execute(
                update(SigningKey)
                .where(
                    SigningKey.kid == kid,
                    SigningKey.retired_at.is_(None),
                    or_(
                        SigningKey.last_token_expires_at.is_(None),
                        SigningKey.last_token_expires_at < at,
                    ),
                )
                .values(last_token_expires_at=at)
            )
            if result.rowcount == 0:  # type: ignore[attr-defined]
                row = (
                    await s.execute(
                        select(SigningKey.retired_at, SigningKey.last_token_expires_at).where(
                            SigningKey.kid == kid
                        )
                    )
                ).one_or_none()
                if row is None or row.retired_at is not None:
                    return False
                exp = max(exp, _epoch(row.last_token_expires_at))
        self._max_exp[kid] = max(self._max_exp.get(kid, -1), exp)
        return True
