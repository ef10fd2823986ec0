"""Replays: the relay keeps a session's segments and publishes a VOD playlist when it ends.

Segment files live under the replay directory (``<data_dir>/replay`` in
embedded mode; in cluster mode a directory every node mounts, because the
encoder's PUTs land on any node); which files belong to a session, in which
order and how long each is, is in the database, so any node can finish the job.

ffmpeg sends a segment, then a playlist naming it, without waiting for either
answer, so the two meet in either order: a file counts once it has arrived and
been listed (``ReplayFile``). One transaction per arrival or playlist, under a
lock on the channel's ``Replay`` row, keeps concurrent nodes consistent.

An encoder restart starts numbering at ``index0`` again; the relay notices (a
name arriving twice, or a playlist's media sequence going back), starts a new
*run*, and the VOD playlist marks the seam with ``#EXT-X-DISCONTINUITY``.

Recording stops when the session ends; publishing writes ``index.m3u8``
(``#EXT-X-PLAYLIST-TYPE:VOD`` … ``#EXT-X-ENDLIST``) and stamps
``published_at`` — idempotent, any node may do it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.tables import Session
from server.db.tables_streaming import Replay, ReplayFile
from server.streaming.hls import Playlist, vod_playlist

log = logging.getLogger(__name__)

VOD_PLAYLIST = "index.m3u8"


@dataclass(frozen=True)
class PublishedChannel:
    channel: str
    segments: int
    duration_s: float
    published_at: datetime


def stored_name(run: int, name: str) -> str:
    """The file name on disk: runs keep an encoder's reused names apart."""
    return f"r{run:04d}-{name}"


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _unlink_all(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


def _write_temp(directory: Path, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".incoming-{uuid.uuid4().hex}.tmp"
    tmp.write_bytes(data)
    return tmp


class ReplayRecorder:
    def __init__(self, db: Database, root: Path, grace: timedelta) -> None:
        self._db = db
        self.root = root
        self._grace = grace

    def session_dir(self, session_id: int, channel: str) -> Path:
        return self.root / "sessions" / str(session_id) / channel

    async def _replay(self, s: AsyncSession, session_id: int, channel: str) -> Replay:
        """The channel's replay row, created if need be and locked: everything that
        touches one channel's files waits its turn here, on every node."""
        insert = pg_insert if self._db.engine.dialect.name == "postgresql" else sqlite_insert
        await s.execute(
            insert(Replay)
            .values(
                session_id=session_id,
                channel=channel,
                started_at=datetime.now(UTC),
                run=1,
                segment_count=0,
                duration_s=0.0,
            )
            .on_conflict_do_nothing(index_elements=["session_id", "channel"])
        )
        replay = await s.scalar(
            select(Replay)
            .where(Replay.session_id == session_id, Replay.channel == channel)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert replay is not None
        return replay

    async def _file(
        self, s: AsyncSession, session_id: int, channel: str, run: int, name: str
    ) -> ReplayFile | None:
        return await s.scalar(
            select(ReplayFile).where(
                ReplayFile.session_id == session_id,
                ReplayFile.channel == channel,
                ReplayFile.run == run,
                ReplayFile.name == name,
            )
        )

    async def segment(self, session_id: int, channel: str, name: str, data: bytes) -> None:
        """A segment or init section arrived: keep its bytes and note it."""
        directory = self.session_dir(session_id, channel)
        tmp = await asyncio.to_thread(_write_temp, directory, data)
        try:
            async with self._db.write() as s:
                replay = await self._replay(s, session_id, channel)
                if replay.published_at is not None:  # too late: the replay is final
                    return
                row = await self._file(s, session_id, channel, replay.run, name)
                if row is not None and row.arrived:  # the same name again: the encoder restarted
                    replay.run += 1
                    row = None
                if row is None:
                    kind = "init" if name.endswith(".mp4") else "segment"
                    row = ReplayFile(
                        session_id=session_id,
                        channel=channel,
                        run=replay.run,
                        name=name,
                        kind=kind,
                        listed=False,
                    )
                    s.add(row)
                row.arrived = True
                await asyncio.to_thread(os.replace, tmp, directory / stored_name(replay.run, name))
        finally:
            await asyncio.to_thread(tmp.unlink, True)

    async def playlist(self, session_id: int, channel: str, pl: Playlist) -> None:
        """A live playlist: note the place and duration of every file it lists."""
        async with self._db.write() as s:
            replay = await self._replay(s, session_id, channel)
            if replay.published_at is not None:
                return
            went_back = (
                replay.last_media_seq is not None and pl.media_sequence < replay.last_media_seq
            )
            if went_back and await self._has_listings(s, session_id, channel, replay.run):
                replay.run += 1  # a restart whose first segment has not arrived yet
            replay.last_media_seq = pl.media_sequence
            for entry in pl.entries:
                if entry.map_uri is not None:
                    await self._list(s, replay, entry.map_uri, "init", None, 0.0, False, None)
                await self._list(
                    s,
                    replay,
                    entry.uri,
                    "segment",
                    entry.media_seq,
                    entry.duration,
                    entry.discontinuity,
                    entry.map_uri,
                )

    async def _has_listings(self, s: AsyncSession, session_id: int, channel: str, run: int) -> bool:
        found = await s.scalar(
            select(ReplayFile.id)
            .where(
                ReplayFile.session_id == session_id,
                ReplayFile.channel == channel,
                ReplayFile.run == run,
                ReplayFile.listed.is_(True),
            )
            .limit(1)
        )
        return found is not None

    async def _list(
        self,
        s: AsyncSession,
        replay: Replay,
        name: str,
        kind: str,
        media_seq: int | None,
        duration: float,
        discontinuity: bool,
        map_name: str | None,
    ) -> None:
        row = await self._file(s, replay.session_id, replay.channel, replay.run, name)
        if row is None:
            row = ReplayFile(
                session_id=replay.session_id,
                channel=replay.channel,
                run=replay.run,
                name=name,
                kind=kind,
                arrived=False,
            )
            s.add(row)
        elif row.listed:
            return  # listed by an earlier playlist of this run: the first word stands
        row.listed = True
        row.media_seq = media_seq
        row.duration = duration
        row.discontinuity = discontinuity
        row.map_name = map_name
        await s.flush()

    async def publish_due(self) -> list[tuple[int, str]]:
        """Publish every replay whose session has ended; returns what this call published."""
        now = datetime.now(UTC)
        async with self._db.read() as s:
            due = list(
                await s.execute(
                    select(Replay.session_id, Replay.channel)
                    .join(Session, Session.id == Replay.session_id)
                    .where(
                        Replay.published_at.is_(None),
                        or_(
                            Session.state.in_(("ended", "cancelled")),
                            Session.end_utc < now - self._grace,
                        ),
                    )
                )
            )
        published: list[tuple[int, str]] = []
        for session_id, channel in due:
            if await self.publish(session_id, channel):
                published.append((session_id, channel))
        return published

    async def publish(self, session_id: int, channel: str) -> bool:
        async with self._db.write() as s:
            replay = await s.get(Replay, (session_id, channel), with_for_update=True)
            if replay is None or replay.published_at is not None:
                return False
            files = list(
                await s.scalars(
                    select(ReplayFile).where(
                        ReplayFile.session_id == session_id,
                        ReplayFile.channel == channel,
                        ReplayFile.arrived.is_(True),
                        ReplayFile.listed.is_(True),
                    )
                )
            )
            inits = {(f.run, f.name) for f in files if f.kind == "init"}
            segments = sorted(
                (f for f in files if f.kind == "segment"),
                key=lambda f: (f.run, f.media_seq or 0),
            )
            entries: list[tuple[str, float, bool, str | None]] = []
            previous_run: int | None = None
            for f in segments:
                map_file = (
                    stored_name(f.run, f.map_name)
                    if f.map_name is not None and (f.run, f.map_name) in inits
                    else None
                )
                if f.map_name is not None and map_file is None:
                    continue  # its init section never arrived: unplayable
                seam = previous_run is not None and f.run != previous_run
                entries.append(
                    (stored_name(f.run, f.name), f.duration, f.discontinuity or seam, map_file)
                )
                previous_run = f.run
            text = vod_playlist(entries)
            await asyncio.to_thread(
                _write_atomic, self.session_dir(session_id, channel) / VOD_PLAYLIST, text.encode()
            )
            replay.segment_count = len(entries)
            replay.duration_s = sum(e[1] for e in entries)
            replay.published_at = datetime.now(UTC)
            # What never met its other half (a segment nobody listed) is not kept.
            strays = [
                stored_name(f.run, f.name)
                for f in await s.scalars(
                    select(ReplayFile).where(
                        ReplayFile.session_id == session_id,
                        ReplayFile.channel == channel,
                        ReplayFile.arrived.is_(True),
                        ReplayFile.listed.is_(False),
                    )
                )
            ]
            await asyncio.to_thread(_unlink_all, self.session_dir(session_id, channel), strays)
            await s.execute(
                delete(ReplayFile).where(
                    ReplayFile.session_id == session_id,
                    ReplayFile.channel == channel,
                    or_(ReplayFile.arrived.is_(False), ReplayFile.listed.is_(False)),
                )
            )
        log.info(
            "replay of session %s channel %s published (%d segments)",
            session_id,
            channel,
            len(entries),
        )
        return True

    async def published(self, session_id: int) -> list[PublishedChannel]:
        async with self._db.read() as s:
            rows = await s.scalars(
                select(Replay)
                .where(Replay.session_id == session_id, Replay.published_at.is_not(None))
                .order_by(Replay.channel)
            )
            return [
                PublishedChannel(r.channel, r.segment_count, r.duration_s, r.published_at)  # type: ignore[arg-type]
                for r in rows
            ]

    async def is_published(self, session_id: int, channel: str) -> bool:
        async with self._db.read() as s:
            at = await s.scalar(
                select(Replay.published_at).where(
                    Replay.session_id == session_id, Replay.channel == channel
                )
            )
        return at is not None
