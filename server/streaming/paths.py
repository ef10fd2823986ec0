"""Reading ``/{room_id}/{channel}/{file}`` from a relay URL: nothing but allow-listed names."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from server.api.errors import ApiError
from server.streaming.config import CHANNEL_RE
from server.streaming.hls import FILE_PATTERN, extension


@dataclass(frozen=True)
class FilePath:
    owner_id: int  # the room (live) or the session (replay)
    channel: str
    file: str
    ext: str


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"no such {what}", {"kind": what})


def file_path(request: web.Request, owner: str, explain: bool = False) -> FilePath:
    """The path's parts, or 404 (400 with the rule when ``explain``: the encoder's operator
    needs to know why a name was refused; a viewer does not)."""
    info = request.match_info
    raw_owner = info[owner]
    if not raw_owner.isdigit() or len(raw_owner) > 18:
        raise _not_found(owner.removesuffix("_id"))
    channel, file = info["channel"], info["file"]
    if not CHANNEL_RE.fullmatch(channel):
        raise _not_found("channel")
    ext = extension(file)
    if ext is None:
        if explain:
            raise ApiError(
                400,
                "bad_file_name",
                "file names must be a bare name with a .m3u8, .ts, .m4s or .mp4 extension",
                {"pattern": FILE_PATTERN},
            )
        raise _not_found("file")
    return FilePath(int(raw_owner), channel, file, ext)
