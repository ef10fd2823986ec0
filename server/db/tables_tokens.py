"""Join-token state every node shares: signing keys, revocations and bans."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.tables import Base, utcnow
from server.db.types import UTCDateTime


class SigningKey(Base):
    """An Ed25519 key pair; the private half is sealed with the service secret.

    Lifecycle: current (``rotated_out_at`` NULL) → verifying only (rotated out,
    tokens it signed may still be alive) → retired (private half erased, gone
    from the JWKS and from every verification cache).
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(32), unique=True)
    algorithm: Mapped[str] = mapped_column(String(16), default="EdDSA")
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # 32 raw bytes
    private_key: Mapped[bytes | None] = mapped_column(LargeBinary)  # sealed; NULL once retired
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The latest ``exp`` of any token this key signed: it verifies until then.
    last_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RevokedToken(Base):
    """One revocation: a single token (``jti``), or every token issued up to ``iat_cutoff``
    to one person for one session (``subject``) or to everyone for one session (``session``).
    """

    __tablename__ = "revoked_tokens"
    __table_args__ = (Index("ix_revoked_tokens_expires", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(8))  # jti | subject | session
    jti: Mapped[str | None] = mapped_column(String(64), unique=True)
    session_id: Mapped[int | None] = mapped_column(Integer)  # no FK: outlives a deleted session
    user_public_id: Mapped[str | None] = mapped_column(String(32))
    # Tokens with ``iat`` at or before this second are revoked (subject and session scopes).
    iat_cutoff: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # No token this row can match is alive after this: the row may be purged.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ban(Base):
    __tablename__ = "bans"
    __table_args__ = (UniqueConstraint("session_id", "user_public_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_public_id: Mapped[str] = mapped_column(String(32), index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text, default="")
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # NULL: for the whole session
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
