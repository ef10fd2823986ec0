"""Reminders reach a real SMTP server and the person's open Socket.IO connections, once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from server.app import create_app
from server.appkeys import db_key, scheduler_key
from server.db.tables_scheduler import SessionReminder
from server.names import EV_SESSION_REMINDER
from server.settings import Settings
from tests.factories import Factory
from tests.scheduler.support import Listener, eventually, free_port, iso, utcnow


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def reminders(self) -> list[Message]:
        return [m for m in self.messages if str(m["Subject"]).startswith("Starting in")]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


async def test_reminders_reach_smtp_and_sockets_once_per_person(
    aiohttp_client: Any, fast_settings: Settings, smtp: tuple[Controller, Inbox]
) -> None:
    controller, inbox = smtp
    settings = fast_settings.model_copy(
        update={
            "reminder_minutes": 3 / 60,  # 3 s before the start
            "smtp_host": "127.0.0.1",
            "smtp_port": controller.port,
        }
    )
    client = await aiohttp_client(create_app(settings, scheduler=True))
    f = Factory(client)
    prog = await f.programme()
    today = utcnow().date()
    await f.client.patch(
        f"/api/v1/events/{prog['event']['id']}",
        json={
            "final_start": (today - timedelta(days=2)).isoformat(),
            "final_end": (today + timedelta(days=2)).isoformat(),
        },
        headers=await f.organiser_headers(),
    )
    starred, seated, bystander = (await f.user(), await f.user(), await f.user())
    start = utcnow() + timedelta(seconds=6)
    s = await f.session(prog, start=iso(start), end=iso(start + timedelta(minutes=30)))
    sid = s["id"]
    assert (
        await f.client.post(f"/api/v1/sessions/{sid}/star", headers=starred["headers"])
    ).status in (200, 201)
    r = await f.client.post(f"/api/v1/sessions/{sid}/signup", headers=seated["headers"])
    assert r.status == 201 and (await r.json())["status"] == "confirmed"

    base = str(f.client.make_url("")).rstrip("/")
    mine = await Listener().connect(base, token=starred["token"])
    theirs = await Listener().connect(base, token=bystander["token"])
    anonymous = await Listener().connect(base)
    try:
        await eventually(lambda: mine.of(EV_SESSION_REMINDER), 15, "the reminder push")
        await eventually(lambda: len(inbox.reminders()) == 2, 15, "two reminder mails")
        await asyncio.sleep(0.5)  # anything extra would arrive now
    finally:
        for listener in (mine, theirs, anonymous):
            await listener.close()
    push = mine.of(EV_SESSION_REMINDER)
    assert len(push) == 1
    assert push[0]["session_id"] == sid and push[0]["title"] == s["title"]
    assert push[0]["start_utc"] == s["start_utc"]
    assert theirs.of(EV_SESSION_REMINDER) == [] and anonymous.of(EV_SESSION_REMINDER) == []
    assert sorted(str(m["To"]) for m in inbox.reminders()) == sorted(
        [starred["email"], seated["email"]]
    )
    assert s["title"] in inbox.reminders()[0].get_payload()

    # Again (a restart, a second leader, a re-fired job): the record says it is done.
    service = client.app[scheduler_key]
    await service.reminders.send(sid)
    await service.planner.rebuild()
    await asyncio.sleep(0.5)
    assert len(inbox.reminders()) == 2
    async with client.app[db_key].read() as db:
        assert await db.scalar(select(func.count()).select_from(SessionReminder)) == 2


async def test_a_bad_login_token_is_refused_on_the_agenda_channel(sched_client: Any) -> None:
    import socketio

    base = str(sched_client.make_url("")).rstrip("/")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Listener().connect(base, token="not-a-token")
