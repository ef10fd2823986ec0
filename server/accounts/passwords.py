"""Password hashing with argon2id (argon2-cffi's tuned defaults)."""

from __future__ import annotations

import asyncio
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

# The test suite hashes thousands of passwords; it opts into argon2's cheapest
# parameters with this variable. Nothing else should ever set it.
_FAST = os.environ.get("FORUMLIVE_INSECURE_FAST_HASHING") == "1"
_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST) if _FAST else PasswordHasher()
# Verifying a password costs tens of milliseconds of CPU: keep it off the event loop.


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str, password: str) -> bool:
    return await asyncio.to_thread(_verify, stored, password)


# Compared against when the email is unknown, so timing does not reveal which emails exist.
DUMMY_HASH = _hasher.hash("forumlive-timing-equaliser")
