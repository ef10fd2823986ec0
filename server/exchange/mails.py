"""The mails a participant gets: welcome, seat confirmed or waitlisted, promoted from the waitlist.

Each is composed after the change it reports has been committed and handed to
the Mailer, which spools it to disk and sends it in the background with
retries. A failure here is logged, never raised: the sign-up it reports on has
already happened and must not turn into an error for the participant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.appkeys import db_key, mailer_key, settings_key
from server.db.tables import Event, Session, User
from server.domain.timezones import utc_to_local
from server.exchange.ical import CONTENT_TYPE, build_calendar
from server.exchange.ids import base_url, join_url
from server.mail import Attachment
from server.programme.render import Renderer

log = logging.getLogger(__name__)


def _when(x: Session, tz: str) -> str:
    start, end = utc_to_local(x.start_utc, tz), utc_to_local(x.end_utc, tz)
    until = (
        end.strftime("%H:%M") if end.date() == start.date() else end.strftime("%A %d %B %Y %H:%M")
    )
    return f"{start.strftime('%A %d %B %Y, %H:%M')}–{until} ({tz})"


async def _session_bits(
    s: AsyncSession, session_id: int, public_url: str
) -> tuple[Session, Renderer, bytes] | None:
    row = await s.get(Session, session_id)
    if row is None:
        return None
    event = await s.get(Event, row.event_id)
    assert event is not None
    view = await Renderer.load(s, event, [row])
    ics = build_calendar(view, [row], public_url, name=row.title)
    return row, view, ics


def _session_text(row: Session, view: Renderer, public_url: str) -> str:
    return (
        f"When: {_when(row, view.event.timezone)}\n"
        f"Room: {view.rooms[row.room_id].name} (online)\n"
        f"Join: {join_url(public_url, row.id)}\n"
    )


def _ics(row: Session, ics: bytes) -> Attachment:
    return Attachment(f"session-{row.id}.ics", CONTENT_TYPE, ics)


async def send_registration(app: web.Application, user: User) -> None:
    settings = app[settings_key]
    try:
        await app[mailer_key].send(
            user.email,
            "Your forumlive account",
            f"Hello {user.name},\n\n"
            f"your account ({user.email}) is ready. Browse the programme, star the sessions "
            f"you want to follow and sign up where seats are limited:\n\n"
            f"{base_url(settings.public_url)}/agenda\n\n"
            "If you did not create this account, ignore this message.\n",
        )
    except Exception:
        log.exception("registration mail to user %s not queued", user.id)


async def send_signup(
    app: web.Application, user_id: int, session_id: int, status: str, position: int | None
) -> None:
    """Confirmed: the session's .ics attached and its join link. Waitlisted: the position."""
    public_url = app[settings_key].public_url
    try:
        async with app[db_key].read() as s:
            user = await s.get(User, user_id)
            bits = await _session_bits(s, session_id, public_url)
        if user is None or bits is None:
            return
        row, view, ics = bits
        if status == "confirmed":
            await app[mailer_key].send(
                user.email,
                f"Your seat: {row.title}",
                f"Hello {user.name},\n\nyou have a seat in \u201c{row.title}\u201d.\n\n"
                + _session_text(row, view, public_url)
                + "\nThe attached calendar file puts the session in your calendar.\n",
                [_ics(row, ics)],
            )
        else:
            await app[mailer_key].send(
                user.email,
                f"Waitlist: {row.title}",
                f"Hello {user.name},\n\nthe session \u201c{row.title}\u201d is full; you are "
                f"number {position} on its waitlist. We will write again as soon as a seat "
                "is yours.\n\n" + _session_text(row, view, public_url),
            )
    except Exception:
        log.exception("sign-up mail for session %s to user %s not queued", session_id, user_id)


async def send_promotions(app: web.Application, session_id: int, user_ids: Iterable[int]) -> None:
    """Tell everyone who just moved from the waitlist to a seat."""
    ids = list(user_ids)
    if not ids:
        return
    public_url = app[settings_key].public_url
    try:
        async with app[db_key].read() as s:
            users = list(await s.scalars(select(User).where(User.id.in_(ids))))
            bits = await _session_bits(s, session_id, public_url)
        if bits is None:
            return
        row, view, ics = bits
        for user in users:
            await app[mailer_key].send(
                user.email,
                f"A seat is yours: {row.title}",
                f"Hello {user.name},\n\na seat freed up in \u201c{row.title}\u201d and it is "
                "now yours: you have moved from the waitlist to the participants.\n\n"
                + _session_text(row, view, public_url)
                + "\nThe attached calendar file puts the session in your calendar. If you "
                "cannot come any more, cancel your sign-up so the next person gets the seat.\n",
                [_ics(row, ics)],
            )
    except Exception:
        log.exception("promotion mails for session %s not queued", session_id)
