"""WebVTT from stored caption lines (pure: no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

DEFAULT_CUE_MS = 4000
MIN_CUE_MS = 500
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class Cue:
    id: int
    at: datetime
    text: str
    duration_ms: int | None = None


def timestamp(ms: int) -> str:
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def escape(text: str) -> str:
    """Cue text is a tiny markup language: escape it, and keep blank lines (cue ends) out."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BLANK_LINES.sub("\n", text).strip()


def render(cues: Sequence[Cue], origin: datetime) -> str:
    """Cue times are offsets from ``origin``; a cue without a duration lasts until the next
    one starts, at most ``DEFAULT_CUE_MS``."""
    starts = [max(0, int((c.at - origin).total_seconds() * 1000)) for c in cues]
    out = ["WEBVTT", ""]
    for i, cue in enumerate(cues):
        start = starts[i]
        if cue.duration_ms is not None:
            end = start + cue.duration_ms
        else:
            end = start + DEFAULT_CUE_MS
            if i + 1 < len(cues) and starts[i + 1] > start:
                end = min(end, starts[i + 1])
            end = max(end, start + MIN_CUE_MS)
        text = escape(cue.text)
        if not text:
            continue
        out += [str(cue.id), f"{timestamp(start)} --> {timestamp(end)}", text, ""]
    return "\n".join(out)
