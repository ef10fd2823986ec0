"""The chat part of ``room:welcome``: a fresh history, or exactly what a reconnecting client missed."""

from __future__ import annotations

from typing import Any

from server.live.history import History


def chat_welcome(history: History, last_seq: int | None, history_size: int) -> dict[str, Any]:
    """Called with no await between it and entering the room (see namespace.on_ready).

    With ``last_seq`` inside the node's window the client gets every message after it,
    in order, once, plus the sequence numbers deleted meanwhile; otherwise
    ``recovered: false`` and the last ``history_size`` messages.
    """
    if last_seq is not None and history.covers(last_seq):
        return {
            "resumed": True,
            "recovered": True,
            "messages": history.after(last_seq),
            "deleted": history.deleted_seqs(),
            "last_seq": history.last_seq,
        }
    return {
        "resumed": last_seq is not None,
        "recovered": False,
        "messages": history.recent(history_size),
        "deleted": [],
        "last_seq": history.last_seq,
    }
