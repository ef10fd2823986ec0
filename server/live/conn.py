"""What the server knows about one open ``/live`` connection, and the node's index of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from server.live.ratelimit import LocalBucket

if TYPE_CHECKING:
    from server.tokens.join import JoinClaims

MODERATOR = "moderator"


@dataclass(eq=False)
class Conn:
    sid: str
    session_id: int
    user_id: int
    public_id: str
    name: str
    role: str  # participant | speaker | moderator | captioner (from the join token)
    claims: JoinClaims  # re-checked against revocation on every event
    events: LocalBucket
    resume_from: int | None = None
    closing: bool = False  # kicked: refuse further events while the disconnect goes out

    @property
    def is_moderator(self) -> bool:
        return self.role == MODERATOR

    def person(self) -> dict[str, str]:
        """How this person appears to others: never an email."""
        return {"public_id": self.public_id, "name": self.name, "role": self.role}


class Connections:
    """This node's connections by Socket.IO sid and by (session, person)."""

    def __init__(self) -> None:
        self._by_sid: dict[str, Conn] = {}
        self._by_person: dict[tuple[int, str], set[str]] = defaultdict(set)

    def add(self, conn: Conn) -> None:
        self._by_sid[conn.sid] = conn
        self._by_person[(conn.session_id, conn.public_id)].add(conn.sid)

    def pop(self, sid: str) -> Conn | None:
        conn = self._by_sid.pop(sid, None)
        if conn is not None:
            key = (conn.session_id, conn.public_id)
            sids = self._by_person.get(key)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self._by_person[key]
        return conn

    def get(self, sid: str) -> Conn | None:
        return self._by_sid.get(sid)

    def of_person(self, session_id: int, public_id: str) -> list[Conn]:
        return [self._by_sid[s] for s in self._by_person.get((session_id, public_id), ())]

    def __len__(self) -> int:
        return len(self._by_sid)

    def all(self) -> list[Conn]:
        return list(self._by_sid.values())
