"""Programme change notifications: the scheduler re-plans and live clients hear of it.

Published after the transaction that made the change has committed, so a
listener always reads the new truth.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)

ChangeKind = Literal["created", "updated", "cancelled", "deleted"]


@dataclass(frozen=True)
class SessionChange:
    kind: ChangeKind
    session_id: int
    event_id: int


Listener = Callable[[SessionChange], Awaitable[None]]


class ProgrammeChanges:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    async def publish(self, change: SessionChange) -> None:
        for listener in list(self._listeners):
            try:
                await listener(change)
            except Exception:
                # One failing listener must not undo a committed change or starve the others.
                log.exception("programme change listener failed for %s", change)
