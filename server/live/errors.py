"""Acks: every client event answers ``{ok: true, ...}`` or ``{ok: false, error: {code, message}}``."""

from __future__ import annotations

from typing import Any

# Error codes (docs/protocol.md lists each with its meaning).
UNKNOWN_EVENT = "unknown_event"
INVALID_PAYLOAD = "invalid_payload"
BINARY_NOT_ALLOWED = "binary_not_allowed"
RATE_LIMITED = "rate_limited"
SLOW_MODE = "slow_mode"
CHAT_LOCKED = "chat_locked"
MUTED = "muted"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
ALREADY_VOTED = "already_voted"
POLL_NOT_OPEN = "poll_not_open"
INVALID_STATE = "invalid_state"
INVALID_TARGET = "invalid_target"
EMPTY = "empty"
TOO_LONG = "too_long"
NOT_CONNECTED = "not_connected"
INTERNAL_ERROR = "internal_error"
UNAVAILABLE = "unavailable"

# Connect refusals (connect_error data); the token codes come from server.tokens.
MISSING_TOKEN = "missing_token"  # noqa: S105  (an error code, not a secret)
INVALID_AUTH = "invalid_auth"


class LiveError(Exception):
    """Raised by a handler; becomes the error ack. ``extra`` fields go inside ``error``."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def ack(self) -> dict[str, Any]:
        return fail(self.code, self.message, **self.extra)


def ok(**data: Any) -> dict[str, Any]:
    return {"ok": True, **data}


def fail(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message, **extra}}
