"""Every name that crosses a process boundary: Redis keys, Socket.IO rooms and events."""

from __future__ import annotations

REDIS_PREFIX = "forumlive:"
LOGIN_THROTTLE_PREFIX = REDIS_PREFIX + "login-fail:"

SESSION_COOKIE = "forumlive_session"
