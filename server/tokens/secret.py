"""The service secret, and the box that seals signing keys with it.

Private keys live in the database so every node shares them; a database dump
alone must not hand out the power to mint join tokens. They are sealed with
AES-256-GCM under a key derived (HKDF-SHA256) from ``FORUMLIVE_SECRET_KEY``,
with the key id as associated data, so a sealed key cannot be moved to another row.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from server.settings import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "secret.key"  # noqa: S105  (a file name, not a secret)
_FORMAT = b"\x01"  # version byte: a future scheme can read old blobs
_NONCE_BYTES = 12


class SecretMismatch(Exception):
    """A sealed value was sealed under another secret (or altered)."""


def _read(path: Path) -> str | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    if text and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        os.chmod(path, 0o600)  # a secret others can read is no secret
        log.warning("tightened permissions of %s to 0600", path)
    return text or None


def load_secret(settings: Settings) -> str:
    """``FORUMLIVE_SECRET_KEY``, else ``<data_dir>/secret.key``, created (0600) on first use."""
    if settings.secret_key:
        return settings.secret_key
    if settings.redis_url:
        log.warning(
            "FORUMLIVE_SECRET_KEY is not set in cluster mode: using %s/%s; every node must "
            "share it, so set the same FORUMLIVE_SECRET_KEY on all nodes instead",
            settings.data_dir,
            SECRET_FILE,
        )
    path = settings.data_dir / SECRET_FILE
    existing = _read(path)
    if existing is not None:
        return existing
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process on this data dir won the race: use theirs
        raced = _read(path)
        if raced is None:
            raise RuntimeError(f"{path} exists but is empty") from None
        return raced
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    log.info("generated a new service secret in %s", path)
    return value


class SecretBox:
    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the service secret is empty")
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"forumlive",
            info=b"forumlive signing keys v1",
        ).derive(secret.encode())
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, context: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _FORMAT + nonce + self._aead.encrypt(nonce, plaintext, context.encode())

    def open(self, blob: bytes, context: str) -> bytes:
        if blob[:1] != _FORMAT or len(blob) < 1 + _NONCE_BYTES + 16:
            raise SecretMismatch("unknown sealed format")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, context.encode())
        except InvalidTag:
            raise SecretMismatch("sealed under another secret, or altered") from None
