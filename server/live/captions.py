"""Live captions: a captioner (or moderator) pushes lines; everyone sees them; all are kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.tables_live import Caption
from server.live import errors
from server.live.errors import LiveError
from server.live.routing import CAPTIONERS, Payload, Router
from server.live.sql import iso_ms, now_utc
from server.live.store import WriteOp
from server.live.text import clean
from server.names import EV_CAPTION_LINE, EV_CAPTION_PUSH

if TYPE_CHECKING:
    from server.live.broadcast import Broadcaster
    from server.live.conn import Conn
    from server.live.context import LiveContext

router = Router()


def caption_wire(c: Caption) -> dict[str, Any]:
    return {
        "id": c.id,
        "text": c.text,
        "lang": c.lang,
        "at": iso_ms(c.at),
        "duration_ms": c.duration_ms,
    }


class PushCaption(Payload):
    text: str = Field(max_length=20_000)
    lang: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
    duration_ms: int | None = Field(default=None, ge=100, le=60_000)


@dataclass(eq=False)
class CaptionWrite(WriteOp[dict[str, Any]]):
    broadcast: Broadcaster
    session_id: int
    user_id: int
    lang: str
    text: str
    duration_ms: int | None

    async def apply(self, s: AsyncSession) -> dict[str, Any]:
        row = Caption(
            session_id=self.session_id,
            user_id=self.user_id,
            lang=self.lang,
            text=self.text,
            at=now_utc(),
            duration_ms=self.duration_ms,
        )
        s.add(row)
        await s.flush()
        return caption_wire(row)

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        for op, line in zip(ops, results, strict=True):
            assert isinstance(op, CaptionWrite)
            await op.broadcast.room(op.session_id, EV_CAPTION_LINE, line)


@router.on(EV_CAPTION_PUSH, PushCaption, roles=CAPTIONERS)
async def push(ctx: LiveContext, conn: Conn, body: PushCaption) -> dict[str, Any]:
    text = clean(body.text)
    if not text:
        raise LiveError(errors.EMPTY, "the caption is empty")
    limit = ctx.settings.live_caption_max_chars
    if len(text) > limit:
        raise LiveError(errors.TOO_LONG, f"at most {limit} characters", max_chars=limit)
    line = await ctx.writer.submit(
        CaptionWrite(
            ctx.broadcast, conn.session_id, conn.user_id, body.lang, text, body.duration_ms
        )
    )
    return {"caption": line}
