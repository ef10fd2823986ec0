"""One typed settings object, read from ``FORUMLIVE_*`` environment variables."""

from __future__ import annotations

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
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_level: str = "INFO"
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

    @field_validator("allowed_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        if any(o.strip() == "*" for o in origins):
            raise ValueError("'*' is not an allowed origin; list the origins you serve")
        return [o.rstrip("/") for o in origins]

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
