"""HLS file names and playlists: what the relay accepts, and how it rewrites what it serves.

Pure functions, no I/O. A playlist is accepted only if every URI in it is a
bare file name from the allow-list, so the relay never hands a player a link
to anywhere else, and rewriting for the signed query parameter is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# One path segment, never a path: no dots but the extension's, no slashes, no escapes
# (matched with fullmatch: "$" alone would let a trailing newline through).
FILE_PATTERN = r"^[A-Za-z0-9_-]{1,64}\.(m3u8|ts|m4s|mp4)$"
FILE_RE = re.compile(FILE_PATTERN)

CONTENT_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "ts": "video/mp2t",
    "m4s": "video/iso.segment",
    "mp4": "video/mp4",  # fMP4 init section
}

_URI_ATTR = re.compile(r'URI="([^"]*)"')
_TARGET = "#EXT-X-TARGETDURATION:"
_MEDIA_SEQ = "#EXT-X-MEDIA-SEQUENCE:"
_EXTINF = "#EXTINF:"
_MAP = "#EXT-X-MAP:"


class PlaylistError(ValueError):
    """The body is not a playlist the relay will serve."""


def extension(name: str) -> str | None:
    """The extension of an allowed file name, or None when the name is not allowed."""
    match = FILE_RE.fullmatch(name)
    return match.group(1) if match else None


def is_playlist(name: str) -> bool:
    return name.endswith(".m3u8")


@dataclass(frozen=True)
class Entry:
    """One media segment as the playlist lists it."""

    uri: str
    duration: float
    media_seq: int
    discontinuity: bool
    map_uri: str | None  # the EXT-X-MAP (fMP4 init section) in force for this segment


@dataclass(frozen=True)
class Playlist:
    target_duration: float | None
    media_sequence: int
    entries: tuple[Entry, ...]
    ended: bool
    uris: frozenset[str] = field(default_factory=frozenset)  # every URI, attributes included


def _number(line: str, prefix: str) -> float:
    raw = line[len(prefix) :].split(",", 1)[0].strip()
    try:
        value = float(raw)
    except ValueError:
        raise PlaylistError(f"{prefix.rstrip(':')} is not a number: {raw[:20]!r}") from None
    if not (value >= 0 and value < 1e9):
        raise PlaylistError(f"{prefix.rstrip(':')} is out of range")
    return value


def _checked_uri(uri: str) -> str:
    if not FILE_RE.fullmatch(uri):
        raise PlaylistError(
            f"playlist URI {uri[:80]!r} is not a bare file name matching {FILE_PATTERN}"
        )
    return uri


def parse_playlist(body: bytes) -> Playlist:
    """Validate and read a playlist as ffmpeg or OBS writes it (media or multivariant)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PlaylistError("the playlist is not UTF-8 text") from None
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "#EXTM3U":
        raise PlaylistError("a playlist starts with #EXTM3U")
    target: float | None = None
    media_sequence = 0
    entries: list[Entry] = []
    uris: set[str] = set()
    duration: float | None = None
    discontinuity = False
    map_uri: str | None = None
    ended = False
    for raw in lines[1:]:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            for uri in _URI_ATTR.findall(line):
                uris.add(_checked_uri(uri))
            if line.startswith(_TARGET):
                target = _number(line, _TARGET)
            elif line.startswith(_MEDIA_SEQ):
                media_sequence = int(_number(line, _MEDIA_SEQ))
            elif line.startswith(_EXTINF):
                duration = _number(line, _EXTINF)
            elif line == "#EXT-X-DISCONTINUITY":
                discontinuity = True
            elif line.startswith(_MAP):
                found = _URI_ATTR.search(line)
                map_uri = found.group(1) if found else None
            elif line == "#EXT-X-ENDLIST":
                ended = True
            continue
        uris.add(_checked_uri(line))
        if duration is not None:  # a segment; a multivariant playlist lists playlists instead
            entries.append(
                Entry(line, duration, media_sequence + len(entries), discontinuity, map_uri)
            )
        duration = None
        discontinuity = False
    return Playlist(target, media_sequence, tuple(entries), ended, frozenset(uris))


class Rewriter:
    """Appends ``?t=<signed>`` to every URI of a playlist, for players that cannot send headers.

    Ingest guarantees each URI is a bare file name (no query), so the parameter is
    appended, never merged. The split of a playlist around its URIs is cached:
    thousands of viewers poll the same playlist version with different tokens.
    """

    def __init__(self, max_cached: int = 512) -> None:
        self._cache: dict[bytes, tuple[str, ...]] = {}
        self._max = max_cached

    def _parts(self, body: bytes) -> tuple[str, ...]:
        parts = self._cache.get(body)
        if parts is not None:
            return parts
        text = body.decode("utf-8")
        pieces: list[str] = []
        current: list[str] = []
        for line in text.splitlines(keepends=True):
            content = line.rstrip("\r\n")
            ending = line[len(content) :]
            stripped = content.strip()
            if stripped and not stripped.startswith("#"):
                current.append(content)
                pieces.append("".join(current))
                current = [ending]
            elif stripped.startswith("#") and 'URI="' in content:
                last = 0
                for match in _URI_ATTR.finditer(content):
                    current.append(content[last : match.end(1)])
                    pieces.append("".join(current))
                    current = []
                    last = match.end(1)
                current.append(content[last:] + ending)
            else:
                current.append(line)
        pieces.append("".join(current))
        parts = tuple(pieces)
        if len(self._cache) >= self._max:
            self._cache.clear()
        self._cache[body] = parts
        return parts

    def rewrite(self, body: bytes, param: str, value: str) -> bytes:
        return (f"?{param}={value}").join(self._parts(body)).encode("utf-8")


def vod_playlist(entries: list[tuple[str, float, bool, str | None]]) -> str:
    """A finished (VOD) playlist: ``(uri, duration, discontinuity, map_uri)`` in order."""
    target = max((d for _, d, _, _ in entries), default=1.0)
    out = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, int(target + 0.999))}",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    current_map: str | None = None
    for index, (uri, duration, discontinuity, map_uri) in enumerate(entries):
        if discontinuity and index > 0:
            out.append("#EXT-X-DISCONTINUITY")
        if map_uri is not None and map_uri != current_map:
            out.append(f'#EXT-X-MAP:URI="{map_uri}"')
            current_map = map_uri
        out.append(f"#EXTINF:{duration:.6f},")
        out.append(uri)
    out.append("#EXT-X-ENDLIST")
    return "\n".join(out) + "\n"
