"""Reminders before a session starts: a push to every open browser, and an email.

Who: everyone who starred the session or holds a confirmed seat. Once: the
recipients are recorded (``session_reminders``) in the same fenced
transaction that decides them, keyed on the start time they announce, and
only then pushed and spooled. A crash between the commit and the send can
lose a reminder; it can never send one twice. The mail spool is durable, so
once spooled an email survives restarts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from scheduler.leader import Authority
from scheduler.transitions import Clock, utcnow
from server.db.engine import Database
from server.db.tables import Event, Session, Signup, Star, User
from server.db.tables_scheduler import SessionReminder
from server.domain.lifecycle import FINAL
from server.domain.timezones import iso_utc, utc_to_local
from server.live.push import Pusher
from server.mail import Mailer
from server.names import EV_SESSION_REMINDER

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    public_id: str
    email: str
    name: str


@dataclass(frozen=True)
class Announcement:
    session_id: int
    title: str
    start_utc: datetime
    end_utc: datetime
    zone: str


class Reminders:
    def __init__(
        self,
        db: Database,
        pusher: Pusher,
        mailer: Mailer | None,
        authority: Authority,
        public_url: str,
        clock: Clock = utcnow,
    ) -> None:
        self.db = db
        self.pusher = pusher
        self.mailer = mailer  # None: mail is not configured, push only
        self.authority = authority
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        # Reminders of sessions that start together fall due together; a few at a time
        # keeps database connections free for transitions and web requests.
        self._slots = asyncio.Semaphore(4)

    async def send(self, session_id: int) -> datetime | None:
        """Remind everyone not yet reminded of this session's current start.

        Returns the start announced (None when the session is gone or over).
        """
        async with self._slots:
            return await self._send(session_id)

    async def _send(self, session_id: int) -> datetime | None:
        try:
            async with self.db.write() as s:
                row = (
                    await s.execute(
                        select(Session.title, Session.start_utc, Session.end_utc, Session.state)
                        .add_columns(Event.timezone)
                        .join(Event, Event.id == Session.event_id)
                        .where(Session.id == session_id)
                    )
                ).one_or_none()
                if row is None:
                    return None
                title, start, end, state, zone = row
                now = self.clock()
                if state in FINAL or now >= end:
                    return None
                already = select(SessionReminder.user_id).where(
                    SessionReminder.session_id == session_id, SessionReminder.start_utc == start
                )
                starred = select(Star.user_id).where(Star.session_id == session_id)
                seated = select(Signup.user_id).where(
                    Signup.session_id == session_id, Signup.status == "confirmed"
                )
                users = [
                    Recipient(*r)
                    for r in await s.execute(
                        select(User.id, User.public_id, User.email, User.name)
                        .where(or_(User.id.in_(starred), User.id.in_(seated)))
                        .where(User.id.not_in(already))
                        .order_by(User.id)
                    )
                ]
                if not users:
                    return start
                s.add_all(
                    SessionReminder(
                        session_id=session_id,
                        user_id=u.user_id,
                        start_utc=start,
                        sent_at=now,
                        mailed=self.mailer is not None,
                    )
                    for u in users
                )
                await s.flush()
                await self.authority.guard(s)
        except IntegrityError:
            # Another actor recorded these reminders first: they are theirs to send.
            log.info("reminders for session %s were recorded concurrently", session_id)
            return None
        what = Announcement(session_id, title, start, end, zone)
        for user in users:
            await self._deliver(user, what, now)
        log.info("reminded %d people of session %s", len(users), session_id)
        return start

    async def _deliver(self, user: Recipient, what: Announcement, now: datetime) -> None:
        minutes = max(0, round((what.start_utc - now).total_seconds() / 60))
        try:
            await self.pusher.user(
                user.public_id,
                EV_SESSION_REMINDER,
                {
                    "session_id": what.session_id,
                    "title": what.title,
                    "start_utc": iso_utc(what.start_utc),
                    "minutes": minutes,
                },
            )
        except Exception:
            log.exception("reminder push to %s failed", user.public_id)
        if self.mailer is None:
            return
        local = utc_to_local(what.start_utc, what.zone)
        try:
            await self.mailer.send(
                user.email,
                f"Starting in {minutes} minutes: {what.title}",
                _mail_text(
                    user.name, what, minutes, local, f"{self.public_url}/sessions/{what.session_id}"
                ),
            )
        except Exception:
            log.exception("reminder mail to user %s failed to spool", user.user_id)


def _mail_text(name: str, what: Announcement, minutes: int, local: datetime, link: str) -> str:
    return (
        f"Hello {name},\n\n"
        f"{what.title} starts in {minutes} minutes:\n"
        f"  {local:%A %d %B %Y, %H:%M} ({what.zone})\n"
        f"  {what.start_utc:%H:%M} UTC\n\n"
        f"Join here: {link}\n\n"
        "You receive this because you starred this session or signed up for it.\n"
    )
