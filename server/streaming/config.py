"""A room's stream configuration: which provider carries it, and its language channels.

Stored as JSON in ``rooms.stream``. Media-server secrets are stored with it (the
database is the one place every node reads) and never leave the server: the
organiser API shows whether a secret is set, not the secret.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

log = logging.getLogger(__name__)

Provider = Literal["relay", "hls_url", "embed", "livekit", "jitsi", "mediamtx", "bigbluebutton"]
PROVIDERS: tuple[Provider, ...] = (
    "relay",
    "hls_url",
    "embed",
    "livekit",
    "jitsi",
    "mediamtx",
    "bigbluebutton",
)
FLOOR = "floor"
# Channel keys appear in URLs, file paths and Redis keys: ``floor`` or a language code.
CHANNEL_PATTERN = r"^(floor|[a-z]{2,3}(-[A-Za-z0-9]{2,8})?)$"
CHANNEL_RE = re.compile(CHANNEL_PATTERN)
MAX_CHANNELS = 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plain(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"the URL must start with {' or '.join(s + '://' for s in schemes)}")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username or parts.password:
        raise ValueError("credentials in the URL are not allowed; use the secret fields")
    return value


def _https(value: str) -> str:
    return _url(value, ("https",))


def _web_or_socket(value: str) -> str:
    return _url(value, ("https", "wss"))


ChannelKey = Annotated[str, StringConstraints(pattern=CHANNEL_PATTERN)]
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_plain),
]
HttpsUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_https)
]
ServerUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048), AfterValidator(_web_or_socket)
]
Ident = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,128}$")]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=512), AfterValidator(_plain)]
# LiveKit refuses API secrets shorter than 32 characters.
LiveKitSecret = Annotated[
    str, StringConstraints(min_length=32, max_length=512), AfterValidator(_plain)
]


class Channel(BaseModel):
    """One audio language a viewer can pick: the floor, or an interpretation."""

    model_config = ConfigDict(extra="forbid")

    key: ChannelKey = Field(description="'floor' or one of the event's languages")
    label: Label = Field(description="shown in the player's language picker")


class UrlChannel(Channel):
    url: HttpsUrl


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channels: list[Channel] = Field(
        default_factory=lambda: [Channel(key=FLOOR, label="Floor")],
        min_length=1,
        max_length=MAX_CHANNELS,
    )

    @field_validator("channels")
    @classmethod
    def _unique(cls, channels: list[Channel]) -> list[Channel]:
        keys = [c.key for c in channels]
        if len(set(keys)) != len(keys):
            raise ValueError("channel keys must be unique")
        return channels

    def channel_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.channels)

    def secrets(self) -> dict[str, str | None]:
        """The write-only fields of this provider, by name."""
        return {}


class RelayConfig(_Config):
    """The built-in HLS relay: ffmpeg or OBS pushes with HTTP PUT, viewers play with hls.js."""

    provider: Literal["relay"] = "relay"
    keep_replay: bool = Field(
        default=False, description="keep the segments and publish a replay when the session ends"
    )


class HlsUrlConfig(_Config):
    """An HLS stream served elsewhere (a CDN); one playlist URL per channel."""

    provider: Literal["hls_url"]
    channels: list[UrlChannel] = Field(min_length=1, max_length=MAX_CHANNELS)  # type: ignore[assignment]


class EmbedConfig(_Config):
    """An iframe player (YouTube, Vimeo …) from an allow-listed host; one URL per channel."""

    provider: Literal["embed"]
    channels: list[UrlChannel] = Field(min_length=1, max_length=MAX_CHANNELS)  # type: ignore[assignment]


class LiveKitConfig(_Config):
    provider: Literal["livekit"]
    url: ServerUrl = Field(description="the LiveKit server, e.g. wss://livekit.example.org")
    api_key: Ident
    api_secret: LiveKitSecret | None = Field(
        default=None, description="write-only; kept when left out"
    )
    room_name: Ident | None = Field(default=None, description="defaults to forumlive-room-<id>")

    def secrets(self) -> dict[str, str | None]:
        return {"api_secret": self.api_secret}


class JitsiConfig(_Config):
    provider: Literal["jitsi"]
    url: HttpsUrl = Field(description="the Jitsi Meet deployment, e.g. https://meet.example.org")
    app_id: Ident
    app_secret: Secret | None = Field(default=None, description="write-only; kept when left out")
    room_name: Ident | None = Field(default=None, description="defaults to forumlive-room-<id>")

    def secrets(self) -> dict[str, str | None]:
        return {"app_secret": self.app_secret}


class MediaMtxConfig(_Config):
    provider: Literal["mediamtx"]
    url: HttpsUrl = Field(description="MediaMTX's HLS/WebRTC base, e.g. https://media.example.org")
    path: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9_/.-]{0,127}$")] = (
        Field(description="the MediaMTX path of this room")
    )

    @field_validator("path")
    @classmethod
    def _no_dots(cls, path: str) -> str:
        if ".." in path.split("/"):
            raise ValueError("'..' is not allowed in a path")
        return path


class BigBlueButtonConfig(_Config):
    provider: Literal["bigbluebutton"]
    url: HttpsUrl = Field(
        description="the BigBlueButton API, e.g. https://bbb.example.org/bigbluebutton/"
    )
    shared_secret: Secret | None = Field(default=None, description="write-only; kept when left out")
    meeting_id: Ident | None = Field(default=None, description="defaults to forumlive-room-<id>")

    def secrets(self) -> dict[str, str | None]:
        return {"shared_secret": self.shared_secret}


StreamConfig = Annotated[
    RelayConfig
    | HlsUrlConfig
    | EmbedConfig
    | LiveKitConfig
    | JitsiConfig
    | MediaMtxConfig
    | BigBlueButtonConfig,
    Field(discriminator="provider"),
]
_adapter: TypeAdapter[StreamConfig] = TypeAdapter(StreamConfig)


def default_config() -> RelayConfig:
    return RelayConfig()


def parse_config(data: dict[str, Any] | None) -> StreamConfig:
    """The stored configuration; a room never configured streams through the relay."""
    if not data:
        return default_config()
    return _adapter.validate_python(data)


def load_config(data: dict[str, Any] | None, room_id: int) -> StreamConfig:
    """Like ``parse_config`` for readers that must not fail on a hand-edited row."""
    try:
        return parse_config(data)
    except ValidationError as exc:
        log.warning(
            "room %s has an invalid stream configuration, using the relay: %s", room_id, exc
        )
        return default_config()


def dump_config(config: StreamConfig) -> dict[str, Any]:
    return config.model_dump(mode="json", exclude_none=True)


def keep_secrets(new: StreamConfig, old: StreamConfig) -> list[str]:
    """Fill write-only fields left out of ``new`` from ``old`` (same provider); name any still missing."""
    missing: list[str] = []
    kept = old.secrets() if old.provider == new.provider else {}
    for name, value in new.secrets().items():
        if value is None and kept.get(name):
            setattr(new, name, kept[name])
        elif value is None:
            missing.append(name)
    return missing


def channel_errors(config: StreamConfig, languages: list[str], embed_hosts: list[str]) -> list[str]:
    """Problems only the event and the settings can reveal: unknown languages, foreign hosts."""
    allowed = {FLOOR, *languages}
    problems = [
        f"channel {c.key!r} is neither 'floor' nor one of the event's languages "
        f"({', '.join(languages) or 'none'})"
        for c in config.channels
        if c.key not in allowed
    ]
    if isinstance(config, EmbedConfig):
        hosts = {h.lower().rstrip(".") for h in embed_hosts}
        for c in config.channels:
            host = (urlsplit(c.url).hostname or "").lower().rstrip(".")
            if host not in hosts:
                problems.append(
                    f"embeds from {host!r} are not allowed (allowed: {', '.join(sorted(hosts))})"
                )
    return problems


def media_name(config: StreamConfig, room_id: int) -> str:
    """The name a media server knows this room by (LiveKit/Jitsi room, BBB meeting)."""
    explicit = getattr(config, "room_name", None) or getattr(config, "meeting_id", None)
    return explicit or f"forumlive-room-{room_id}"
