"""A person's own data: download all of it, or erase the account (docs/security.md).

``GET /api/v1/me/export`` is everything the service holds about the caller, as
JSON. ``DELETE /api/v1/me`` erases the account (server/accounts/erasure.py): what
others saw in the rooms stays, anonymised; everything else about the person goes.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from aiohttp import web
from pydantic import BaseModel, Field
from sqlalchemy import select

from server.accounts.erasure import (
    ANONYMOUS_NAME,
    Erasure,
    LastOrganiser,
    erase_in_database,
    forget_outside_database,
)
from server.accounts.export import MyData, collect
from server.api.endpoint import Call, endpoint
from server.api.errors import ApiError
from server.appkeys import db_key, live_key, settings_key
from server.db.tables import Session
from server.db.tables_live import ChatMessage
from server.exchange.mails import send_promotions
from server.live.rooms import message_wire
from server.names import SESSION_COOKIE
from server.tokens.revocation import revoke_person

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


class ErasureOut(BaseModel):
    erased: bool = True
    anonymised_as: str = Field(
        description=f"the name your kept messages now show: {ANONYMOUS_NAME}"
    )
    chat_messages_anonymised: int
    questions_anonymised: int


@routes.get("/api/v1/me/export")
@endpoint(
    summary="Download everything held about me (JSON)",
    tag="me",
    auth="user",
    response=MyData,
    errors=(401,),
)
async def export(call: Call) -> web.Response:
    data = await collect(call.app, call.signed_in)
    return web.Response(
        body=data.model_dump_json(),
        content_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="forumlive-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


async def _leave_live_rooms(call: Call, report: Erasure) -> None:
    """Close the person's open live connections and rewrite their name out of room memory."""
    live = call.app.get(live_key)
    if live is None:
        return
    # A join token is only valid from the green room to the end plus grace: a connection
    # can only be open in a session inside that window.
    settings, now = call.app[settings_key], datetime.now(UTC)
    lead = timedelta(minutes=max(settings.lobby_lead_minutes, settings.green_room_lead_minutes))
    async with call.app[db_key].read() as s:
        open_rooms = list(
            await s.scalars(
                select(Session.id).where(
                    Session.start_utc <= now + lead,
                    Session.end_utc >= now - timedelta(minutes=settings.join_grace_minutes),
                )
            )
        )
    for session_id in open_rooms:
        await live.broadcast.kick(
            session_id, report.public_id, "revoked", "this account was erased"
        )
    # Every node's room memory (join history, resume window, pinned) gets the anonymised copy.
    for session_id, seqs in report.anonymised_seqs.items():
        async with call.app[db_key].read() as s:
            rows = await s.scalars(
                select(ChatMessage).where(
                    ChatMessage.session_id == session_id, ChatMessage.seq.in_(seqs)
                )
            )
            messages = [message_wire(row) for row in rows]
        await live.broadcast.state(session_id, "rewrite", messages=messages)


@routes.delete("/api/v1/me")
@endpoint(
    summary="Erase my account",
    description=(
        "Removes your personal data: account, logins, stars, sign-ups (your seats go to the "
        "waitlist), calendar feed, votes, hands. Chat messages and questions stay in their "
        f"rooms, anonymised as “{ANONYMOUS_NAME}”. A linked programme entry is unlinked (it "
        "is the organisers' record of the programme). Join tokens already issued stop "
        "working at once. 409 last_organiser: the only organiser "
        "cannot erase the account."
    ),
    tag="me",
    auth="user",
    response=ErasureOut,
    errors=(401, 409),
)
async def erase(call: Call) -> web.Response:
    try:
        report = await erase_in_database(call.app, call.signed_in.id)
    except LastOrganiser:
        raise ApiError(
            409,
            "last_organiser",
            "you are the only organiser; make someone else an organiser first",
        ) from None
    if report is None:  # erased a moment ago by a concurrent request
        raise ApiError(401, "unauthorized", "this account no longer exists")
    await _leave_live_rooms(call, report)
    await forget_outside_database(call.app, report)
    # After the forgetting, which clears Redis keys named by the public id.
    await revoke_person(call.app, user_public_id=report.public_id, reason="account erased")
    for session_id, promoted in report.promoted.items():
        await send_promotions(call.app, session_id, promoted)
    log.info(
        "account %s erased: %d chat messages and %d questions anonymised",
        report.user_id,
        report.messages_anonymised,
        report.questions_anonymised,
    )
    body = ErasureOut(
        anonymised_as=ANONYMOUS_NAME,
        chat_messages_anonymised=report.messages_anonymised,
        questions_anonymised=report.questions_anonymised,
    )
    response = web.Response(body=body.model_dump_json(), content_type="application/json")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
