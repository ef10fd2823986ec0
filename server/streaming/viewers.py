"""Join tokens this node has already verified, so a viewer's every segment costs no signature check.

The signature and claims of a token are trusted for ``trust_seconds`` (never
past its ``exp``); bans and revocations are checked on every request, against
the in-memory blocklist. The checks are passed in: this module is imported by
the relay, which ``server.appkeys`` names, so it imports nothing that reads app keys.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Verify = Callable[[web.Application, str], Awaitable[Any]]
Check = Callable[[web.Application, Any], Awaitable[str | None]]

_MAX_ENTRIES = 50_000


class VerifiedTokens:
    def __init__(self, verify: Verify, still_good: Check, trust_seconds: float = 30.0) -> None:
        self._verify = verify
        self._still_good = still_good  # returns a refusal code, or None
        self._trust = trust_seconds
        self._seen: dict[str, tuple[Any, float]] = {}

    async def claims(self, app: web.Application, token: str) -> Any:
        """The token's claims (the full check on first sight); raises what ``verify`` raises."""
        now = time.time()
        hit = self._seen.get(token)
        if hit is not None and hit[1] > now:
            refusal = await self._still_good(app, hit[0])
            if refusal is None:
                return hit[0]
            self._seen.pop(token, None)
        claims = await self._verify(app, token)
        if len(self._seen) >= _MAX_ENTRIES:
            self._seen.clear()
        self._seen[token] = (claims, min(float(claims.exp), now + self._trust))
        return claims
