"""Every name that crosses a process boundary: Redis keys, Socket.IO rooms and events."""

from __future__ import annotations

REDIS_PREFIX = "forumlive:"
LOGIN_THROTTLE_PREFIX = REDIS_PREFIX + "login-fail:"

SESSION_COOKIE = "forumlive_session"

# Socket.IO
SIO_CHANNEL = REDIS_PREFIX + "socketio"  # AsyncRedisManager pub/sub channel
AGENDA_NAMESPACE = "/agenda"  # public, read-only: programme changes and lifecycle states
LIVE_NAMESPACE = "/live"  # join-token holders: the live rooms
AGENDA_ROOM = "agenda"


def session_room(session_id: int) -> str:
    return f"session:{session_id}"


def user_room(user_public_id: str) -> str:
    """Every open connection of one person (reminders, personal pushes)."""
    return f"user:{user_public_id}"


# Server -> client events
EV_AGENDA_CHANGED = "agenda:changed"  # {kind, session_id, event_id, session?}
EV_SESSION_STATE = "session:state"  # {session_id, from, to, at, cause, start_utc, end_utc}
EV_SESSION_REMINDER = "session:reminder"  # {session_id, title, start_utc, minutes}
