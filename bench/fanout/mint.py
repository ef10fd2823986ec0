"""Bench-only: a live session and N+1 join tokens for it, minted with the server's own keys.

Writes the programme and N+1 accounts straight into the bench's database (the server
has not started yet; this also migrates it), then signs one participant token per
account through ``server.tokens`` (the same ``sign_join_token`` the join endpoint uses,
with the key ring the server will load from that database and secret). Nothing in the
server is bypassed: every client still connects with a token the server verifies.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.db.tables import Event, Room, Session, SessionType, Track, User
from server.settings import Settings
from server.tokens.join import sign_join_token
from server.tokens.keys import KeyRing, ensure_current_key
from server.tokens.rules import Grant
from server.tokens.secret import SecretBox, load_secret


async def _programme(db: Database) -> int:
    now = datetime.now(UTC).replace(microsecond=0)
    today = date.today()
    async with db.write() as s:
        event = Event(
            slug="bench", name="Fan-out bench", timezone="UTC", languages=["en"],
            final_start=today - timedelta(days=1), final_end=today + timedelta(days=1),
        )  # fmt: skip
        s.add(event)
        await s.flush()
        track = Track(event_id=event.id, slug="forum", name="Forum")
        stype = SessionType(
            event_id=event.id, key="high_level_dialogue", name="Dialogue",
            default_duration_min=180, interactive=False, default_capacity=None,
        )  # fmt: skip
        room = Room(event_id=event.id, slug="main", name="Main", capacity=100_000, stream={})
        s.add_all([track, stype, room])
        await s.flush()
        session = Session(
            event_id=event.id, title="Fan-out", track_id=track.id, type_id=stype.id,
            room_id=room.id, start_utc=now - timedelta(minutes=1),
            end_utc=now + timedelta(hours=3), state="live",
        )  # fmt: skip
        s.add(session)
        await s.flush()
        return session.id


async def _accounts(db: Database, n: int) -> list[str]:
    rows: list[dict[str, Any]] = [
        {
            "email": f"bench{i}@example.org",
            "name": f"Bench {i}",
            "password_hash": "!",  # cannot log in: these accounts exist to hold tokens
            "stakeholder_group": "civil_society",
        }
        for i in range(n)
    ]
    async with db.write() as s:
        await s.execute(insert(User), rows)
    async with db.read() as s:
        return list(await s.scalars(select(User.public_id).order_by(User.id)))


async def mint(settings: Settings, receivers: int) -> dict[str, Any]:
    """{session_id, publisher, receivers: [token, …]} for a fresh bench database."""
    db = Database(make_engine(settings.resolved_database_url))
    try:
        await upgrade(db.engine)
        session_id = await _programme(db)
        people = await _accounts(db, receivers + 1)
        box = SecretBox(load_secret(settings))
        await ensure_current_key(db, box)
        keyring = KeyRing(db, box)
        await keyring.reload()
        signer = keyring.signer
        assert signer is not None
        opens = datetime.now(UTC) - timedelta(minutes=5)
        closes = datetime.now(UTC) + timedelta(hours=3)
        await keyring.note_expiry(signer.kid, int(closes.timestamp()))
        now = int(time.time())
        tokens = [
            sign_join_token(
                signer,
                settings.token_issuer,
                Grant(session_id, public_id, "participant", opens, closes),
                now,
            ).token
            for public_id in people
        ]
        return {"session_id": session_id, "publisher": tokens[0], "receivers": tokens[1:]}
    finally:
        await db.close()
