"""A session's live captions as a WebVTT file (the captions pushed in its live room)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from server.api.endpoint import Call, endpoint
from server.api.errors import not_found
from server.appkeys import db_key
from server.db.tables import Session
from server.db.tables_live import Caption
from server.live.webvtt import Cue, render

routes = web.RouteTableDef()


class CaptionsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lang: str | None = Field(
        default=None,
        pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="only the captions in this language (default: all)",
    )


@routes.get("/api/v1/sessions/{id}/captions.vtt")
@endpoint(
    summary="The session's live captions as WebVTT",
    description=(
        "Cue times are offsets from the session's scheduled start, or from the first "
        "caption when captioning began earlier. Cue text is plain text, escaped for WebVTT."
    ),
    tag="live",
    auth="user",
    query=CaptionsQuery,
    response=str,
    produces="text/vtt",
    errors=(404,),
)
async def captions_vtt(call: Call) -> web.Response:
    session_id = call.path_int("id", "session")
    async with call.app[db_key].read() as s:
        start = await s.scalar(select(Session.start_utc).where(Session.id == session_id))
        if start is None:
            raise not_found("session", session_id)
        query = select(Caption).where(Caption.session_id == session_id)
        if call.query.lang:
            query = query.where(Caption.lang == call.query.lang)
        rows = list(await s.scalars(query.order_by(Caption.at, Caption.id)))
    cues = [Cue(r.id, r.at, r.text, r.duration_ms) for r in rows]
    origin = min([start, *(c.at for c in cues[:1])])
    return web.Response(
        text=render(cues, origin),
        content_type="text/vtt",
        charset="utf-8",
        headers={"Content-Disposition": f'inline; filename="session-{session_id}-captions.vtt"'},
    )
