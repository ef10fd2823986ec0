"""Plain text from clients: trimmed, control characters removed, never interpreted.

Nothing here escapes HTML: the server stores and sends exactly the characters a
person typed (minus controls), and the client renders them as text nodes.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates reorder what is displayed (spoofing), and
# zero-width/format characters other than the joiners used in emoji are invisible.
_INVISIBLE = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f\u2060\ufeff"
)
_BLANK_LINES = re.compile(r"\n{3,}")


def clean(text: str, multiline: bool = True) -> str:
    """Normalise line ends, drop control and invisible characters, trim."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\n" if multiline else " ")
        elif ch == "\t":
            out.append(" ")
        elif ch in _INVISIBLE or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(ch)
    cleaned = "".join(out)
    if multiline:
        cleaned = "\n".join(line.rstrip() for line in cleaned.split("\n"))
        cleaned = _BLANK_LINES.sub("\n\n", cleaned)
    return cleaned.strip()
