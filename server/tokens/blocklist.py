"""This node's in-memory view of revocations and bans: what every live event is checked against.

The database is the truth and Redis carries changes between nodes; this is the
copy a check reads, so a check is a few dictionary lookups. It is rebuilt from
the database at start and at every resync, and changes arrive in between over
pub/sub (cluster) or straight from the revoking call (embedded).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

ChangeKind = Literal["jti", "subject", "session", "person", "ban", "unban"]
_KINDS = frozenset({"jti", "subject", "session", "person", "ban", "unban"})
# Changes applied this recently are re-applied over a resync snapshot, which may have
# been read before they were committed.
_RECENT_SECONDS = 120.0


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    session_id: int | None = None
    user_public_id: str | None = None
    jti: str | None = None
    # person: user_public_id holds person_digest(public id), not the id itself
    cutoff: int | None = None  # subject/session/person: tokens with iat <= cutoff are revoked
    until: int | None = None  # ban: epoch seconds, None for the whole session
    expires: int = 0  # epoch seconds after which no token this matches is alive

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, raw: bytes | str) -> Change:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("kind") not in _KINDS:
            raise ValueError("not a revocation change")
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})


def person_digest(user_public_id: str) -> str:
    """What a person-wide revocation is stored under: an erased account's public id must
    be gone from the database and Redis, yet the tokens it still holds must not verify."""
    return hashlib.sha256(f"forumlive:erased:{user_public_id}".encode()).hexdigest()[:32]


class Blocklist:
    def __init__(self) -> None:
        self._jtis: dict[str, int] = {}
        self._subjects: dict[tuple[str, int], tuple[int, int]] = {}  # -> (cutoff, expires)
        self._sessions: dict[int, tuple[int, int]] = {}
        self._people: dict[str, tuple[int, int]] = {}  # person_digest -> (cutoff, expires)
        self._bans: dict[tuple[str, int], int | None] = {}
        self._recent: deque[tuple[float, Change]] = deque()

    # --- checks (hot path) ---------------------------------------------------------------

    def is_revoked(self, jti: str, sub: str, sid: int, iat: int) -> bool:
        if jti in self._jtis:
            return True
        cut = self._subjects.get((sub, sid))
        if cut is not None and iat <= cut[0]:
            return True
        cut = self._sessions.get(sid)
        if cut is not None and iat <= cut[0]:
            return True
        if self._people:  # erased accounts: rare, so the digest is only taken when one exists
            cut = self._people.get(person_digest(sub))
            return cut is not None and iat <= cut[0]
        return False

    def is_banned(self, sub: str, sid: int, now: float | None = None) -> bool:
        key = (sub, sid)
        if key not in self._bans:
            return False
        until = self._bans[key]
        return until is None or (time.time() if now is None else now) < until

    # --- changes -------------------------------------------------------------------------

    def apply(self, change: Change) -> None:
        self._apply(change)
        stamp = time.monotonic()
        self._recent.append((stamp, change))
        while self._recent and self._recent[0][0] < stamp - _RECENT_SECONDS:
            self._recent.popleft()

    def _apply(self, c: Change) -> None:
        if c.kind == "jti" and c.jti:
            self._jtis[c.jti] = max(self._jtis.get(c.jti, 0), c.expires)
        elif c.kind == "subject" and c.user_public_id and c.session_id is not None:
            _raise_cutoff(self._subjects, (c.user_public_id, c.session_id), c)
        elif c.kind == "session" and c.session_id is not None:
            _raise_cutoff(self._sessions, c.session_id, c)
        elif c.kind == "person" and c.user_public_id:
            _raise_cutoff(self._people, c.user_public_id, c)
        elif c.kind == "ban" and c.user_public_id and c.session_id is not None:
            self._bans[(c.user_public_id, c.session_id)] = c.until
        elif c.kind == "unban" and c.user_public_id and c.session_id is not None:
            self._bans.pop((c.user_public_id, c.session_id), None)

    def replace(self, snapshot: Iterable[Change], started: float) -> None:
        """Become ``snapshot`` (read from the database after monotonic time ``started``),
        plus whatever was applied since, which the snapshot may not have seen."""
        self._jtis, self._subjects, self._sessions, self._bans = {}, {}, {}, {}
        self._people = {}
        for change in snapshot:
            self._apply(change)
        for stamp, change in self._recent:
            if stamp >= started - 1.0:
                self._apply(change)

    def purge(self, now: float) -> None:
        self._jtis = {k: v for k, v in self._jtis.items() if v >= now}
        self._subjects = {k: v for k, v in self._subjects.items() if v[1] >= now}
        self._sessions = {k: v for k, v in self._sessions.items() if v[1] >= now}
        self._people = {k: v for k, v in self._people.items() if v[1] >= now}
        self._bans = {k: v for k, v in self._bans.items() if v is None or v >= now}

    def __len__(self) -> int:
        tables = (self._jtis, self._subjects, self._sessions, self._people, self._bans)
        return sum(len(t) for t in tables)


def _raise_cutoff(table: dict[Any, tuple[int, int]], key: Any, c: Change) -> None:
    old_cut, old_exp = table.get(key, (-1, 0))
    table[key] = (max(old_cut, c.cutoff or 0), max(old_exp, c.expires))
