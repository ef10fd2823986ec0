"""A room's recent chat on one node: the join history and the resume window.

Messages are kept by sequence number, deleted ones as tombstones (a resuming
client learns which of the messages it holds were deleted). The cache is
*complete above ``floor``*: every message with ``seq > floor`` that exists is
here, which is what lets a resume promise "exactly what you missed".
"""

from __future__ import annotations

import bisect
from typing import Any

Message = dict[str, Any]  # the chat:message payload (docs/protocol.md)


class History:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.floor = 0
        self._seqs: list[int] = []
        self._items: dict[int, Message] = {}
        self._deleted: set[int] = set()

    def load(self, messages: list[Message], deleted: set[int], floor: int) -> None:
        """Fill from the database: ``messages`` ascending, ``floor`` = everything above is here."""
        self.floor = floor
        for message in messages:
            self._put(message)
        self._deleted |= {s for s in deleted if s in self._items}
        self._trim()

    @property
    def last_seq(self) -> int:
        return self._seqs[-1] if self._seqs else self.floor

    def add(self, message: Message) -> None:
        seq = message["seq"]
        if seq <= self.floor or seq in self._items:
            return
        self._put(message)
        self._trim()

    def delete(self, seq: int) -> None:
        if seq in self._items:
            self._deleted.add(seq)

    def __contains__(self, seq: object) -> bool:
        """Held here, shown or deleted."""
        return seq in self._items

    def replace(self, message: Message) -> None:
        """A kept message rewritten in place, same seq (an erased author's, anonymised)."""
        if message["seq"] in self._items:
            self._items[message["seq"]] = message

    def get(self, seq: int) -> Message | None:
        if seq in self._deleted:
            return None
        return self._items.get(seq)

    def recent(self, n: int) -> list[Message]:
        out: list[Message] = []
        for seq in reversed(self._seqs):
            if len(out) >= n:
                break
            if seq not in self._deleted:
                out.append(self._items[seq])
        out.reverse()
        return out

    def covers(self, last_seq: int) -> bool:
        """Can every message after ``last_seq`` be given from here?"""
        return self.floor <= last_seq <= self.last_seq

    def after(self, last_seq: int) -> list[Message]:
        start = bisect.bisect_right(self._seqs, last_seq)
        return [self._items[s] for s in self._seqs[start:] if s not in self._deleted]

    def deleted_seqs(self) -> list[int]:
        return sorted(self._deleted)

    def _put(self, message: Message) -> None:
        seq = message["seq"]
        if seq not in self._items:
            bisect.insort(self._seqs, seq)
        self._items[seq] = message

    def _trim(self) -> None:
        excess = len(self._seqs) - self.capacity
        if excess <= 0:
            return
        dropped = self._seqs[:excess]
        del self._seqs[:excess]
        for seq in dropped:
            self._items.pop(seq, None)
            self._deleted.discard(seq)
        self.floor = max(self.floor, dropped[-1])
