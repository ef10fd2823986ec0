"""Outgoing mail: spooled to disk first, sent off the request path, retried, never lost.

Every message is written to ``<data_dir>/mail/spool`` before ``enqueue``
returns. A background worker sends it over SMTP (aiosmtplib) and removes it;
failures are retried with backoff, and a message that keeps failing moves to
``mail/failed``. Without SMTP settings, messages go to ``mail/outbox`` and the
log instead. Spooled messages left by a crash are sent on the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

import aiosmtplib
from aiohttp import web

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar"
    data: bytes


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (port 465)
    start_tls: bool | None  # None: upgrade when the server offers it
    timeout: float


def compose(
    sender: str,
    to: str,
    subject: str,
    text: str,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or "forumlive")
    msg.set_content(text)
    for a in attachments:
        maintype, _, subtype = a.content_type.partition("/")
        msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return msg


class Mailer:
    def __init__(
        self,
        data_dir: Path,
        sender: str,
        smtp: SmtpConfig | None,
        max_attempts: int = 6,
        first_backoff: float = 1.0,
    ) -> None:
        self.sender = sender
        self.smtp = smtp
        self.max_attempts = max_attempts
        self.first_backoff = first_backoff
        root = data_dir / "mail"
        self.spool = root / "spool"
        self.outbox = root / "outbox"
        self.failed = root / "failed"
        for d in (self.spool, self.outbox, self.failed):
            d.mkdir(parents=True, exist_ok=True)
        self._queue: asyncio.Queue[Path] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None

    def compose(
        self, to: str, subject: str, text: str, attachments: Sequence[Attachment] = ()
    ) -> EmailMessage:
        return compose(self.sender, to, subject, text, attachments)

    async def enqueue(self, msg: EmailMessage) -> Path:
        """Durable once this returns: the message is on disk and will be delivered."""
        path = self.spool / f"{uuid.uuid4().hex}.eml"
        data = msg.as_bytes(policy=policy.SMTP)
        await asyncio.to_thread(_write_atomically, path, data)
        self._queue.put_nowait(path)
        return path

    async def send(
        self, to: str, subject: str, text: str, attachments: Sequence[Attachment] = ()
    ) -> Path:
        return await self.enqueue(self.compose(to, subject, text, attachments))

    def start(self) -> None:
        for leftover in sorted(self.spool.glob("*.eml")):
            self._queue.put_nowait(leftover)
        self._worker = asyncio.create_task(self._run(), name="mailer")

    async def stop(self, drain_seconds: float = 5.0) -> None:
        """Give queued mail a moment to go out; whatever stays is still in the spool."""
        if self._worker is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), drain_seconds)
        except TimeoutError:
            log.warning("mail: %d messages stay spooled for the next start", self._queue.qsize())
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker

    async def _run(self) -> None:
        while True:
            path = await self._queue.get()
            try:
                await self._deliver(path)
            except Exception:
                log.exception("mail: unexpected failure for %s; it stays spooled", path.name)
            finally:
                self._queue.task_done()

    async def _deliver(self, path: Path) -> None:
        try:
            raw = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return
        if self.smtp is None:
            target = self.outbox / path.name
            await asyncio.to_thread(os.replace, path, target)
            # The file, not the recipient: logs are kept, and must not hold anyone's address.
            log.info("mail (no SMTP configured) written to %s", target)
            return
        delay = self.first_backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                await aiosmtplib.send(
                    raw,
                    sender=_envelope_sender(raw),
                    recipients=_recipients(raw),
                    hostname=self.smtp.host,
                    port=self.smtp.port,
                    username=self.smtp.username,
                    password=self.smtp.password,
                    use_tls=self.smtp.use_tls,
                    start_tls=self.smtp.start_tls,
                    timeout=self.smtp.timeout,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                log.warning(
                    "mail: attempt %d for %s failed: %s",
                    attempt,
                    path.name,
                    _without_addresses(exc),
                )
                if attempt == self.max_attempts:
                    await asyncio.to_thread(os.replace, path, self.failed / path.name)
                    log.error("mail: gave up on %s; kept in %s", path.name, self.failed)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)
            else:
                await asyncio.to_thread(path.unlink, missing_ok=True)
                return


_ADDRESS = re.compile(r"[^\s<>'\"(),;]+@[^\s<>'\"(),;]+")


def _without_addresses(exc: Exception) -> str:
    """An SMTP error names the refused recipients; logs must not hold anyone's address."""
    return _ADDRESS.sub("<address>", str(exc))


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)  # type: ignore[return-value]


def _envelope_sender(raw: bytes) -> str:
    from email.utils import parseaddr

    return parseaddr(str(_parse(raw)["From"]))[1]


def _recipients(raw: bytes) -> list[str]:
    from email.utils import getaddresses

    msg = _parse(raw)
    return [addr for _, addr in getaddresses([str(v) for v in msg.get_all("To", [])]) if addr]


def mailer_from_settings(settings: object) -> Mailer:
    s = settings  # Settings; typed loosely to keep this module free of server imports
    smtp = None
    if getattr(s, "smtp_host", ""):
        smtp = SmtpConfig(
            host=s.smtp_host,  # type: ignore[attr-defined]
            port=s.smtp_port,  # type: ignore[attr-defined]
            username=s.smtp_username or None,  # type: ignore[attr-defined]
            password=s.smtp_password or None,  # type: ignore[attr-defined]
            use_tls=s.smtp_tls,  # type: ignore[attr-defined]
            start_tls=s.smtp_starttls,  # type: ignore[attr-defined]
            timeout=s.smtp_timeout,  # type: ignore[attr-defined]
        )
    return Mailer(s.data_dir, s.mail_from, smtp)  # type: ignore[attr-defined]


async def mailer_ctx(app: web.Application) -> AsyncIterator[None]:
    from server.appkeys import mailer_key, settings_key

    mailer = mailer_from_settings(app[settings_key])
    mailer.start()
    app[mailer_key] = mailer
    yield
    await mailer.stop()
