"""The moderation audit log: every moderator action, written in the action's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables_live import ModerationAction
from server.live.sql import iso_ms, now_utc

if TYPE_CHECKING:
    from server.live.conn import Conn


def record(
    s: AsyncSession,
    actor: Conn,
    action: str,
    target_public_id: str | None = None,
    target_ref: str | None = None,
    **details: Any,
) -> ModerationAction:
    row = ModerationAction(
        session_id=actor.session_id,
        actor_user_id=actor.user_id,
        actor_public_id=actor.public_id,
        action=action,
        target_public_id=target_public_id,
        target_ref=target_ref,
        details=details,
        at=now_utc(),
    )
    s.add(row)
    return row


def wire(row: ModerationAction, actor_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "action": row.action,
        "actor": {"public_id": row.actor_public_id, "name": actor_name},
        "target_public_id": row.target_public_id,
        "target_ref": row.target_ref,
        "details": row.details,
        "at": iso_ms(row.at),
    }


async def recent(s: AsyncSession, session_id: int, limit: int) -> list[ModerationAction]:
    rows = await s.scalars(
        select(ModerationAction)
        .where(ModerationAction.session_id == session_id)
        .order_by(ModerationAction.id.desc())
        .limit(limit)
    )
    return list(rows)
