"""Programme change notifications: the scheduler re-plans and live clients hear of it.

Published after the transaction that made the change has committed, so a
listener always reads the new truth.

One operation that changes many sessions at once (an import) publishes them as
one batch (``publish_many``): a listener subscribed with ``subscribe_many``
hears the batch once and can do its work in one pass (one re-plan, one push to
clients). A listener subscribed with ``subscribe`` still hears every change on
its own, which is what a listener that acts per session (token revocation)
wants.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

log = logging.getLogger(__name__)

ChangeKind = Literal["created", "updated", "cancelled", "deleted"]
CHANGE_KINDS: frozenset[str] = frozenset(get_args(ChangeKind))

# The Redis notice of a batch (PROGRAMME_CHANNEL). A single change keeps the
# original ``{kind, session_id, event_id}`` form, which schedulers of every
# version understand.
BATCH_NOTICE = "batch"


@dataclass(frozen=True)
class SessionChange:
    kind: ChangeKind
    session_id: int
    event_id: int


Listener = Callable[[SessionChange], Awaitable[None]]
BatchListener = Callable[[Sequence[SessionChange]], Awaitable[None]]


class ProgrammeChanges:
    def __init__(self) -> None:
        # Each entry: (the listener as subscribed, whether it takes a whole batch).
        self._listeners: list[tuple[Listener | BatchListener, bool]] = []

    def subscribe(self, listener: Listener) -> None:
        """Hear every change on its own, a batch's too (one call per session)."""
        self._listeners.append((listener, False))

    def subscribe_many(self, listener: BatchListener) -> None:
        """Hear each publication once: a single change comes as a batch of one."""
        self._listeners.append((listener, True))

    def unsubscribe(self, listener: Listener | BatchListener) -> None:
        for i, (known, _) in enumerate(self._listeners):
            if known == listener:
                del self._listeners[i]
                return
        raise ValueError(f"{listener!r} is not subscribed")

    async def publish(self, change: SessionChange) -> None:
        await self.publish_many((change,))

    async def publish_many(self, changes: Sequence[SessionChange]) -> None:
        """Tell every listener of changes committed together (in one operation)."""
        batch = tuple(changes)
        if not batch:
            return
        for listener, takes_batch in list(self._listeners):
            if takes_batch:
                await _call(listener, batch, batch)
            else:
                for change in batch:
                    await _call(listener, change, change)


async def _call(listener: Callable[[Any], Awaitable[None]], arg: Any, what: object) -> None:
    try:
        await listener(arg)
    except Exception:
        # One failing listener must not undo a committed change or starve the others.
        log.exception("programme change listener failed for %s", what)


# -- the Redis notice (cluster mode) ---------------------------------------------------


def notice_of(changes: Sequence[SessionChange]) -> dict[str, Any]:
    """What goes on PROGRAMME_CHANNEL for ``changes`` (JSON-ready)."""
    if len(changes) == 1:
        c = changes[0]
        return {"kind": c.kind, "session_id": c.session_id, "event_id": c.event_id}
    return {
        "kind": BATCH_NOTICE,
        "changes": [[c.kind, c.session_id, c.event_id] for c in changes],
    }


def changes_of(notice: Any) -> list[SessionChange]:
    """The changes a PROGRAMME_CHANNEL notice carries; ValueError if it is malformed."""
    try:
        if notice["kind"] == BATCH_NOTICE:
            items = [(k, s, e) for k, s, e in notice["changes"]]
        else:
            items = [(notice["kind"], notice["session_id"], notice["event_id"])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed programme change notice: {exc!r}") from None
    out = []
    for kind, session_id, event_id in items:
        if kind not in CHANGE_KINDS or not isinstance(session_id, int):
            raise ValueError(f"malformed programme change: {kind!r} {session_id!r}")
        out.append(SessionChange(kind, session_id, event_id))
    return out
