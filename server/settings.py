"""One typed settings object, read from ``FORUMLIVE_*`` environment variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FORUMLIVE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    data_dir: Path = Path("./forumlive-data")
    # Empty means: SQLite file ``forumlive.db`` inside ``data_dir``.
    database_url: str = ""
    # Empty means embedded mode: no Redis, in-process Socket.IO manager.
    redis_url: str = ""
    # Public origin of the service, used in links (calendar feeds, mails) and,
    # with ``allowed_origins``, to check the Origin of browser requests.
    public_url: str = "http://127.0.0.1:8080"
    allowed_origins: list[str] = Field(default_factory=list)
    auto_migrate: bool = True
    # Engine.IO long-polling needs sticky sessions behind a load balancer.
    allow_polling: bool = False
    demo: bool = False
    demo_year: int | None = None
    cookie_secure: bool = False
    auth_token_days: int = Field(default=30, ge=1, le=365)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)
    # Registrations per client IP per window (docs/security.md): a class or an office
    # behind one NAT gets through, a script filling the users table does not.
    register_max_per_ip: int = Field(default=30, ge=1)
    register_window_seconds: int = Field(default=900, ge=1)
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client; empty: none,
    # and per-IP limits use the peer address.
    trusted_proxies: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Import uploads (CSV, frab JSON) are larger than API bodies: a whole programme.
    import_max_bytes: int = Field(default=20 * 1_048_576, ge=1024)
    log_level: str = "INFO"
    # The browser client's files; empty means the ``web/`` folder beside ``server/``.
    web_dir: Path | None = None
    log_format: Literal["json", "console"] = "json"
    # Mail: without smtp_host, messages are written to <data_dir>/mail/outbox and logged.
    mail_from: str = "forumlive <noreply@localhost>"
    smtp_host: str = ""
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: bool = False  # implicit TLS, usually port 465
    smtp_starttls: bool | None = None  # None: upgrade when the server offers it
    smtp_timeout: float = 30.0
    # Scheduler (docs/scheduler.md). Leads and reminders are minutes; fractions are allowed.
    no_scheduler: bool = False  # `serve` runs no scheduler (cluster web nodes)
    lobby_lead_minutes: float = Field(default=15, ge=0, le=24 * 60)
    green_room_lead_minutes: float = Field(default=30, ge=0, le=24 * 60)
    reminder_minutes: float = Field(default=15, ge=0, le=7 * 24 * 60)  # 0: no reminders
    # Leader lease (cluster mode): a dead leader is replaced within this long.
    scheduler_lease_seconds: float = Field(default=10, ge=0.5, le=600)
    # Full re-read of the programme, in case a change notification was lost.
    scheduler_resync_seconds: float = Field(default=300, ge=1)
    # `forumlive scheduler --health-port`: /healthz and /metrics of a standalone scheduler.
    scheduler_health_port: int | None = Field(default=None, ge=0, le=65535)
    # SIGTERM: live clients are sent away at once (to reconnect to another node), then
    # in-flight HTTP requests get this long to finish. Keep it below the orchestrator's
    # grace period (compose: stop_grace_period).
    shutdown_timeout: float = Field(default=15, ge=0, le=600)
    # Join tokens (docs/tokens.md). Empty secret_key: <data_dir>/secret.key, made on first start.
    # It seals the signing keys stored in the database: every node must share it.
    secret_key: str = Field(default="", repr=False)
    token_issuer: str = Field(default="forumlive", min_length=1)
    join_grace_minutes: float = Field(default=15, ge=0, le=24 * 60)  # tokens live until end + grace
    token_leeway_seconds: int = Field(default=10, ge=0, le=30)  # clock skew tolerated on nbf/exp
    join_rate_per_minute: int = Field(default=30, ge=1)  # join/media token requests per person
    # Keys and revocations are re-read from the database this often (a safety net under pub/sub).
    token_refresh_seconds: float = Field(default=10, gt=0, le=3600)
    # Streaming (docs/streaming.md). Segments live this long in the store (memory or Redis).
    stream_segment_ttl_seconds: int = Field(default=60, ge=5, le=3600)
    # Embedded mode: the in-memory segment store evicts the oldest segments beyond this.
    stream_memory_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1024 * 1024)
    stream_max_segment_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    stream_max_playlist_bytes: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    # Lifetime of the signed ``?t=`` playback parameter minted by the session stream API.
    stream_playback_seconds: int = Field(default=600, ge=10, le=3600)
    # How often stream health is judged (a channel is offline after 3 target durations).
    stream_health_interval_seconds: float = Field(default=0.5, ge=0.05, le=10)
    # Relay replays (room setting keep_replay). Empty: <data_dir>/replay. In cluster mode
    # every node must mount the same directory here (a shared volume).
    replay_dir: Path | None = None
    embed_allowed_hosts: list[str] = Field(
        default_factory=lambda: [
            "youtube.com",
            "www.youtube.com",
            "www.youtube-nocookie.com",
            "player.vimeo.com",
        ]
    )

    # Live rooms (docs/protocol.md). Rates are per person and per session, across nodes.
    live_chat_max_chars: int = Field(default=2000, ge=1, le=10_000)
    live_history_size: int = Field(default=100, ge=0, le=1000)  # chat messages sent on join
    # Messages a node keeps per room for resume; an older gap gets a fresh history instead.
    live_resume_window: int = Field(default=1000, ge=1, le=100_000)
    live_chat_rate_per_second: float = Field(default=1.0, gt=0)
    live_chat_burst: int = Field(default=5, ge=1)
    live_qa_rate_per_minute: float = Field(default=6.0, gt=0)
    live_qa_burst: int = Field(default=3, ge=1)
    # Any event on one connection (a second bucket in front of the per-feature ones).
    live_events_per_second: float = Field(default=20.0, gt=0)
    live_events_burst: int = Field(default=40, ge=1)
    # Largest websocket frame a client may send (Engine.IO max_http_buffer_size).
    live_max_frame_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    live_caption_max_chars: int = Field(default=500, ge=1, le=5000)
    live_mute_max_minutes: int = Field(default=24 * 60, ge=1)
    # Write-behind batching of chat, Q&A, votes and captions (server/live/store.py): what
    # arrives while a commit runs is the next batch; a writer that was idle waits this long
    # for company first (0: commit at once, the latency a room feels), at most this many.
    live_write_flush_ms: float = Field(default=0.0, ge=0, le=1000)
    live_write_batch_max: int = Field(default=256, ge=1, le=10_000)
    live_presence_interval_seconds: float = Field(default=1.0, ge=0.05, le=60)
    live_roster_interval_seconds: float = Field(default=2.0, ge=0.05, le=60)
    # Cluster: a node whose heartbeat is older than this is dead and its presence expires.
    live_node_ttl_seconds: float = Field(default=10.0, ge=1, le=300)
    # Attendance for the organisers' reports (server/live/attendance.py): the peak number of
    # people in a room is kept per bucket of this many seconds (aligned on the clock, so all
    # nodes fill the same buckets); joins and counts are buffered and written every flush.
    live_attendance_sample_seconds: int = Field(default=30, ge=1, le=3600)
    live_attendance_flush_seconds: float = Field(default=5.0, ge=0.05, le=300)
    # Broadcast engine (server/live/engine, docs/benchmarks.md). "frame": encode each
    # broadcast once and write the same frame to every transport; "sio": python-socketio's
    # own path (a task per recipient), kept as a fallback.
    live_engine: Literal["frame", "sio"] = "frame"
    # Unsent bytes one connection may have queued; past it the client is disconnected as
    # a slow consumer (it reconnects and resumes) and its buffer is dropped after the grace.
    live_send_buffer_bytes: int = Field(default=256 * 1024, ge=16 * 1024, le=64 * 1024 * 1024)
    live_cut_grace_seconds: float = Field(default=5.0, ge=0, le=120)
    # The kernel's send buffer of each /live websocket (SO_SNDBUF; 0: the kernel's autotuning,
    # which lets a stalled client hold megabytes in flight before the limit above is seen).
    live_socket_send_buffer_bytes: int = Field(default=64 * 1024, ge=0, le=64 * 1024 * 1024)
    # Coalescing: in a room with at least this many clients on a node, chat, reactions and
    # presence counts sent within this many ms of the previous frame go out as one "batch".
    live_coalesce_ms: float = Field(default=25.0, ge=0, le=1000)  # 0: never
    live_coalesce_min_clients: int = Field(default=200, ge=1)
    # permessage-deflate for /live websockets: off (each connection would keep a compressor
    # and a decompressor); when on, a broadcast is compressed once, above this size.
    live_ws_deflate: bool = False
    live_ws_deflate_min_bytes: int = Field(default=1024, ge=0)
    # Runtime of `forumlive serve` / `forumlive scheduler`: uvloop when installed; `serve`
    # freezes its start-up heap out of the collector's sight (server/live/engine/runtime.py).
    uvloop: bool = True
    gc_tuning: bool = True
    # The public agenda's pre-serialised responses are rebuilt at least this often, even if
    # no change notice arrived (a safety net for edits that send none, e.g. a person's name).
    agenda_cache_seconds: float = Field(default=10.0, ge=0, le=3600)  # 0: no cache

    @field_validator("allowed_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if any(o.strip() == "*" for o in origins):
            raise ValueError("'*' is not an allowed origin; list the origins you serve")
        return [o.rstrip("/") for o in origins]

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, proxies: list[str]) -> list[str]:
        for proxy in proxies:
            ipaddress.ip_network(proxy.strip(), strict=False)  # ValueError names the bad one
        return [p.strip() for p in proxies]

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'forumlive.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def origins(self) -> frozenset[str]:
        """Origins a browser may call us from: the public URL plus the allow-list."""
        return frozenset([self.public_url.rstrip("/"), *self.allowed_origins])
