"""Every name that crosses a process boundary: Redis keys, Socket.IO rooms and events."""

from __future__ import annotations

REDIS_PREFIX = "forumlive:"
LOGIN_THROTTLE_PREFIX = REDIS_PREFIX + "login-fail:"
REGISTER_RATE_PREFIX = REDIS_PREFIX + "register-rate:"  # + "ip:<address>": registrations

# Scheduler (cluster mode): the leader lease, its fencing-token counter, and the
# channel web nodes publish programme changes on so a scheduler re-plans at once.
SCHEDULER_LEASE_KEY = REDIS_PREFIX + "scheduler:leader"  # value "<token>:<instance>"
SCHEDULER_TOKEN_KEY = REDIS_PREFIX + "scheduler:token"  # INCR: one token per lease won
# {kind, session_id, event_id}, or a batch {kind: "batch", changes: [[kind, session_id, event_id]…]}
PROGRAMME_CHANNEL = REDIS_PREFIX + "programme"

# Stream relay (cluster mode): segments and playlists with a TTL, channel health, and the
# set of channels the health judges watch. ``{room}:{channel}`` identifies a channel.
STREAM_SEGMENT_PREFIX = REDIS_PREFIX + "hls:seg:"  # + "{room}:{channel}:{file}" -> bytes
STREAM_HEALTH_PREFIX = REDIS_PREFIX + "hls:health:"  # + "{room}:{channel}" -> hash
STREAM_ACTIVE_KEY = REDIS_PREFIX + "hls:active"  # set of "{room}:{channel}" judged live


def stream_segment_key(room_id: int, channel: str, file: str) -> str:
    return f"{STREAM_SEGMENT_PREFIX}{room_id}:{channel}:{file}"


def stream_health_key(room_id: int, channel: str) -> str:
    return f"{STREAM_HEALTH_PREFIX}{room_id}:{channel}"


# Join tokens (cluster mode): revocations and bans as keys with a TTL (checked on connect),
# and one channel that carries every revocation, ban and key rotation to every node.
TOKENS_PREFIX = REDIS_PREFIX + "tokens:"
TOKENS_CHANNEL = TOKENS_PREFIX + "events"  # JSON server.tokens.blocklist.Change | {"kind": "keys"}
JOIN_RATE_PREFIX = TOKENS_PREFIX + "join-rate:"  # + user id: join/media token requests


def revoked_jti_key(jti: str) -> str:
    return f"{TOKENS_PREFIX}revoked:jti:{jti}"


def revoked_subject_key(session_id: int, user_public_id: str) -> str:
    """-> iat cutoff: that person's tokens for the session issued up to then are revoked."""
    return f"{TOKENS_PREFIX}revoked:subject:{session_id}:{user_public_id}"


def revoked_person_key(digest: str) -> str:
    """-> iat cutoff for every token of one erased person (``person_digest`` of the id)."""
    return f"{TOKENS_PREFIX}revoked:person:{digest}"


def revoked_session_key(session_id: int) -> str:
    """-> iat cutoff for everyone's tokens of the session (cancelled, deleted)."""
    return f"{TOKENS_PREFIX}revoked:session:{session_id}"


def ban_key(session_id: int, user_public_id: str) -> str:
    """-> ban end in epoch seconds, 0 for the whole session."""
    return f"{TOKENS_PREFIX}ban:{session_id}:{user_public_id}"


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
# {kind, session_id, event_id, session?}, or for a large batch {kind: "bulk", event_id, session_ids}
EV_AGENDA_CHANGED = "agenda:changed"
EV_SESSION_STATE = "session:state"  # {session_id, from, to, at, cause, start_utc, end_utc}
EV_SESSION_REMINDER = "session:reminder"  # {session_id, title, start_utc, minutes}
EV_STREAM_HEALTH = "stream:health"  # {room_id, channel, status, at}


# Live rooms (/live, docs/protocol.md). A connection is in exactly one session room, plus
# AGENDA_ROOM, its user_room and, for moderators, the session's moderators room.
def session_moderators_room(session_id: int) -> str:
    return f"session:{session_id}:mods"


LIVE_PREFIX = REDIS_PREFIX + "live:"
LIVE_BUS_CHANNEL = LIVE_PREFIX + "bus"  # JSON frames between server nodes (server/live/bus.py)


def live_bus_channel(session_id: int) -> str:
    """One room's frames: only the nodes serving that room subscribe (bus sharding)."""
    return f"{LIVE_BUS_CHANNEL}:{session_id}"


def live_node_key(node_id: str) -> str:
    """Heartbeat of one server node (TTL): presence entries of a node without one are dead."""
    return f"{LIVE_PREFIX}node:{node_id}"


def presence_counts_key(session_id: int) -> str:
    """Hash: node id -> people connected to the session through that node."""
    return f"{LIVE_PREFIX}presence:{session_id}:counts"


def presence_roster_key(session_id: int) -> str:
    """Hash: "<node id>|<public id>" -> JSON {name, role} (moderators' roster)."""
    return f"{LIVE_PREFIX}presence:{session_id}:roster"


def rate_key(kind: str, session_id: int, public_id: str) -> str:
    """Token bucket of one person for one kind of action in one session."""
    return f"{LIVE_PREFIX}rate:{kind}:{session_id}:{public_id}"


def slow_mode_key(session_id: int, public_id: str) -> str:
    return f"{LIVE_PREFIX}slow:{session_id}:{public_id}"


def reactions_key(session_id: int, window: int) -> str:
    """Hash: reaction kind -> clicks in one one-second window, summed over nodes."""
    return f"{LIVE_PREFIX}reactions:{session_id}:{window}"


def reactions_lock_key(session_id: int, window: int) -> str:
    """SET NX: the one node that sends a window's aggregate."""
    return f"{LIVE_PREFIX}reactions-lock:{session_id}:{window}"


# /live client -> server events (each answers with an ack)
EV_CHAT_SEND = "chat:send"  # {text}
EV_QA_ASK = "qa:ask"  # {text}
EV_QA_UPVOTE = "qa:upvote"  # {question_id}
EV_QA_LIST = "qa:list"  # {include_dismissed?}
EV_QA_ANSWER = "qa:answer"  # {question_id, answer?}  moderator
EV_QA_DISMISS = "qa:dismiss"  # {question_id}  moderator
EV_QA_PIN = "qa:pin"  # {question_id, pinned}  moderator
EV_POLL_CREATE = "poll:create"  # {question, options, open?}  moderator
EV_POLL_OPEN = "poll:open"  # {poll_id}  moderator
EV_POLL_CLOSE = "poll:close"  # {poll_id}  moderator
EV_POLL_VOTE = "poll:vote"  # {poll_id, option_id}
EV_POLL_LIST = "poll:list"  # {}
EV_HAND_RAISE = "hand:raise"  # {}
EV_HAND_LOWER = "hand:lower"  # {}
EV_HAND_LIST = "hand:list"  # {}  moderator
EV_HAND_GRANT = "hand:grant"  # {public_id}  moderator
EV_HAND_DISMISS = "hand:dismiss"  # {public_id}  moderator
EV_REACTION_SEND = "reaction:send"  # {kind}
EV_CAPTION_PUSH = "caption:push"  # {text, lang?, duration_ms?}  captioner, moderator
EV_MOD_DELETE = "mod:delete"  # {seq}
EV_MOD_MUTE = "mod:mute"  # {public_id, minutes, reason?}
EV_MOD_UNMUTE = "mod:unmute"  # {public_id}
EV_MOD_BAN = "mod:ban"  # {public_id, reason?, minutes?}
EV_MOD_PIN = "mod:pin"  # {seq}
EV_MOD_UNPIN = "mod:unpin"  # {}
EV_MOD_SLOW_MODE = "mod:slow_mode"  # {seconds}
EV_MOD_LOCK = "mod:lock"  # {locked}
EV_MOD_AUDIT = "mod:audit"  # {limit?}
EV_PRESENCE_ROSTER = "presence:roster"  # {}  moderator (also pushed, see below)

# /live server -> client events
EV_ROOM_WELCOME = "room:welcome"  # first event after connect: chat history/resume, settings
EV_ROOM_SETTINGS = "room:settings"  # {slow_mode_seconds, locked, pinned}
EV_ROOM_KICKED = "room:kicked"  # {code, message} right before the server disconnects
EV_CHAT_MESSAGE = "chat:message"  # {seq, text, author, at}
EV_CHAT_DELETED = "chat:deleted"  # {seq}
EV_CHAT_MUTED = "chat:muted"  # {until, reason}  to the muted person
EV_CHAT_UNMUTED = "chat:unmuted"  # {}
EV_QA_QUESTION = "qa:question"  # {question}  new or changed
EV_POLL_UPDATED = "poll:updated"  # {poll}
EV_POLL_TALLY = "poll:tally"  # {poll_id, counts, total}
EV_HAND_QUEUE = "hand:queue"  # {hands}  moderators
EV_HAND_GRANTED = "hand:granted"  # {session_id, role, token, ...}  to the person
EV_HAND_DISMISSED = "hand:dismissed"  # {session_id}  to the person
EV_REACTION_BURST = "reaction:burst"  # {counts, window}  at most one per second per room
EV_CAPTION_LINE = "caption:line"  # {id, text, lang, at, duration_ms}
EV_PRESENCE_COUNT = "presence:count"  # {count}
EV_MOD_ACTION = "mod:action"  # {action, actor, target?, ...}  moderators
# Coalesced form (busy rooms, server/live/engine): [[event, data], ...] in send order.
EV_BATCH = "batch"
