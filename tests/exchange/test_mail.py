"""Mail to a real SMTP server (aiosmtpd, started here): welcome, seat, waitlist, promotion."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar

from server.app import create_app
from server.settings import Settings
from tests.factories import Factory

PUBLIC = "http://127.0.0.1:8080"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
        return "250 OK"

    async def wait_for(self, to: str, subject_start: str, timeout: float = 15) -> EmailMessage:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            with self._lock:
                for msg in self.messages:
                    if msg["To"] == to and str(msg["Subject"]).startswith(subject_start):
                        return msg
            if asyncio.get_running_loop().time() > deadline:
                seen = [(m["To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no mail {subject_start!r} to {to}; got {seen}")
            await asyncio.sleep(0.05)

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def mailing(aiohttp_client, settings: Settings, smtp) -> tuple[Factory, Inbox]:
    inbox, port = smtp
    configured = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    client = await aiohttp_client(create_app(configured))
    return Factory(client), inbox


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def _ics(msg: EmailMessage) -> Calendar:
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename().endswith(".ics")
    return Calendar.from_ical(attachment.get_content())


async def test_registration_sends_a_welcome(mailing):
    factory, inbox = mailing
    r = await factory.client.post(
        "/api/v1/auth/register",
        json={
            "name": "Ada Participant",
            "email": "ada@example.org",
            "password": "long enough password",
            "organisation": "ITU",
            "country": "CH",
            "stakeholder_group": "academia",
        },
    )
    assert r.status == 201, await r.text()
    msg = await inbox.wait_for("ada@example.org", "Your forumlive account")
    assert msg["X-Envelope-To"] == "ada@example.org"
    assert "Ada Participant" in _body(msg) and f"{PUBLIC}/agenda" in _body(msg)
    assert list(msg.iter_attachments()) == []


async def test_signup_confirmation_carries_the_ics_and_the_join_link(mailing):
    factory, inbox = mailing
    client = factory.client
    prog = await factory.programme()
    x = await factory.session(prog, title="Closing the gap", start="2021-03-30T14:00:00")
    me = await factory.user(email="bea@example.org")
    r = await client.post(f"/api/v1/sessions/{x['id']}/signup", headers=me["headers"])
    assert (await r.json())["status"] == "confirmed"

    msg = await inbox.wait_for("bea@example.org", "Your seat: Closing the gap")
    assert f"{PUBLIC}/sessions/{x['id']}" in _body(msg)
    cal = _ics(msg)
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"session-{x['id']}@127.0.0.1"
    assert str(event["URL"]) == f"{PUBLIC}/sessions/{x['id']}"
    assert event["DTSTART"].params["TZID"] == "Europe/Geneva"
    assert event.decoded("DTSTART").isoformat() == "2021-03-30T14:00:00+02:00"
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["Europe/Geneva"]

    # Signing up again changes nothing and sends nothing more.
    r = await client.post(f"/api/v1/sessions/{x['id']}/signup", headers=me["headers"])
    assert r.status == 201
    await asyncio.sleep(0.5)
    assert len(inbox.to("bea@example.org")) == 1


async def test_waitlist_notice_and_promotion_mails(mailing):
    factory, inbox = mailing
    client = factory.client
    prog = await factory.programme()
    x = await factory.session(prog, title="Small room", capacity=1)
    first = await factory.user(email="first@example.org")
    second = await factory.user(email="second@example.org")
    third = await factory.user(email="third@example.org")
    for user in (first, second, third):
        r = await client.post(f"/api/v1/sessions/{x['id']}/signup", headers=user["headers"])
        assert r.status == 201
    await inbox.wait_for("first@example.org", "Your seat: Small room")
    waiting = await inbox.wait_for("second@example.org", "Waitlist: Small room")
    assert "number 1 on its waitlist" in _body(waiting)
    assert list(waiting.iter_attachments()) == []
    await inbox.wait_for("third@example.org", "Waitlist: Small room")

    # A cancellation frees the seat: the head of the waitlist is told, with the .ics.
    r = await client.delete(f"/api/v1/sessions/{x['id']}/signup", headers=first["headers"])
    assert (await r.json())["promoted_user_ids"] == [second["id"]]
    promoted = await inbox.wait_for("second@example.org", "A seat is yours: Small room")
    (event,) = _ics(promoted).walk("VEVENT")
    assert str(event["UID"]) == f"session-{x['id']}@127.0.0.1"
    assert f"{PUBLIC}/sessions/{x['id']}" in _body(promoted)

    # A larger capacity seats the rest of the waitlist, and tells them too.
    r = await client.patch(
        f"/api/v1/sessions/{x['id']}",
        json={"capacity": 5},
        headers=await factory.organiser_headers(),
    )
    assert r.status == 200
    await inbox.wait_for("third@example.org", "A seat is yours: Small room")
    assert len(inbox.to("first@example.org")) == 1


async def test_without_smtp_mail_lands_in_the_outbox(factory, settings):
    assert settings.smtp_host == ""
    prog = await factory.programme()
    x = await factory.session(prog, title="Offline mail")
    me = await factory.user(email="cleo@example.org")
    r = await factory.client.post(f"/api/v1/sessions/{x['id']}/signup", headers=me["headers"])
    assert r.status == 201
    outbox = Path(settings.data_dir) / "mail" / "outbox"
    for _ in range(300):
        found = [
            message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")
        ]
        mine = [m for m in found if m["To"] == "cleo@example.org"]
        if mine:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"nothing for cleo in {outbox}")
    (msg,) = mine
    assert msg["Subject"] == "Your seat: Offline mail"
    (event,) = _ics(msg).walk("VEVENT")
    assert str(event["UID"]) == f"session-{x['id']}@127.0.0.1"
