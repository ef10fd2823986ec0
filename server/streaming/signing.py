"""The signed ``?t=`` playback parameter: a join token's decision, narrowed to one channel.

Players that cannot send an ``Authorization`` header (Safari's native HLS,
VLC, an ``<a href>``) get playlist URLs carrying ``t``. It is minted by the
session stream API from a verified join token, bound to one room and one
channel, lives a few minutes, and carries the join token's identity (subject,
session, ``jti``, ``iat``) so revocation still reaches it. HMAC-SHA256 under a
key derived from the service secret, which every node shares.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = 1
_MAX_LENGTH = 1024
_MAX_REMEMBERED = 100_000


class GrantError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PlaybackGrant:
    room_id: int
    channel: str
    session_id: int
    sub: str
    jti: str
    iat: int
    role: str
    exp: int

    @property
    def sid(self) -> int:
        """The join-token name of the session (revocation checks read claims by it)."""
        return self.session_id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PlaybackSigner:
    def __init__(self, secret: str) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"forumlive",
            info=b"forumlive stream playback v1",
        ).derive(secret.encode())
        self._verified: dict[str, PlaybackGrant] = {}

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def mint(self, grant: PlaybackGrant) -> str:
        body = [
            _VERSION,
            grant.room_id,
            grant.channel,
            grant.session_id,
            grant.sub,
            grant.jti,
            grant.iat,
            grant.role,
            grant.exp,
        ]
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._mac(payload)}"

    def verify(self, value: str, now: float | None = None) -> PlaybackGrant:
        """The grant ``value`` carries, or ``GrantError``. A viewer sends the same value with
        every request for minutes, so a verified one is remembered (its expiry still checked)."""
        now = time.time() if now is None else now
        grant = self._verified.get(value)
        if grant is None:
            grant = self._check(value)
            if len(self._verified) >= _MAX_REMEMBERED:
                self._verified.clear()
            self._verified[value] = grant
        if grant.exp <= now:
            raise GrantError("expired", "the playback parameter has expired; ask for a new one")
        return grant

    def _check(self, value: str) -> PlaybackGrant:
        if len(value) > _MAX_LENGTH or value.count(".") != 1:
            raise GrantError("invalid_token", "the playback parameter is malformed")
        payload, mac = value.split(".")
        if not hmac.compare_digest(self._mac(payload), mac):
            raise GrantError("invalid_token", "the playback parameter is not ours")
        try:
            body = json.loads(_unb64(payload))
            version, room_id, channel, session_id, sub, jti, iat, role, exp = body
        except (ValueError, TypeError, binascii.Error):
            raise GrantError("invalid_token", "the playback parameter is malformed") from None
        if version != _VERSION or not isinstance(exp, int):
            raise GrantError("invalid_token", "the playback parameter has an unknown version")
        return PlaybackGrant(room_id, channel, session_id, sub, jti, iat, role, exp)
