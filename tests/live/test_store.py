"""The write-behind batcher: one transaction per batch, acks after the commit, failures isolated."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.appkeys import db_key
from server.db.tables_live import ModerationAction
from server.live.store import WriteBehind, WriteOp, WriterClosed
from tests.live.support import Stage


@dataclass(eq=False)
class Note(WriteOp[int]):
    """An audit row: a real table with a foreign key that can fail on purpose."""

    log: ClassVar[list[tuple[str, list[int]]]] = []
    session_id: int
    text: str

    async def apply(self, s: AsyncSession) -> int:
        row = ModerationAction(
            session_id=self.session_id,
            actor_public_id="test",
            action="note",
            details={"t": self.text},
        )
        s.add(row)
        await s.flush()
        return row.id

    @classmethod
    async def committed_group(cls, ops: Sequence[WriteOp[Any]], results: Sequence[Any]) -> None:
        cls.log.append(("committed", list(results)))


async def count(stage: Stage) -> int:
    async with stage.client.app[db_key].read() as s:
        return int(await s.scalar(select(func.count()).select_from(ModerationAction)) or 0)


@pytest.fixture
async def writer(stage: Stage) -> Any:
    w = WriteBehind(stage.client.app[db_key], flush_ms=20, batch_max=50)
    w.start()
    Note.log.clear()
    yield w
    await w.close()


async def test_concurrent_ops_share_one_transaction_and_resolve_after_commit(
    stage: Stage, writer: WriteBehind
) -> None:
    ids = await asyncio.gather(*(writer.submit(Note(stage.sid, str(n))) for n in range(30)))
    assert writer.stats.batches == 1 and writer.stats.ops == 30
    assert ids == sorted(ids)  # applied in submission order
    assert Note.log == [("committed", ids)]
    assert await count(stage) == 30


async def test_a_full_batch_is_written_at_once(stage: Stage) -> None:
    w = WriteBehind(stage.client.app[db_key], flush_ms=10_000, batch_max=10)
    w.start()
    try:
        ids = await asyncio.wait_for(
            asyncio.gather(*(w.submit(Note(stage.sid, str(n))) for n in range(10))), 5
        )
        assert len(ids) == 10 and w.stats.batches == 1
    finally:
        await w.close()


async def test_one_failing_op_fails_alone(stage: Stage, writer: WriteBehind) -> None:
    results = await asyncio.gather(
        writer.submit(Note(stage.sid, "a")),
        writer.submit(Note(999_999, "no such session")),  # foreign key violation
        writer.submit(Note(stage.sid, "b")),
        return_exceptions=True,
    )
    assert isinstance(results[1], Exception)
    assert isinstance(results[0], int) and isinstance(results[2], int)
    assert writer.stats.retried_batches == 1
    assert await count(stage) == 2


async def test_close_writes_what_is_queued_then_refuses(stage: Stage) -> None:
    w = WriteBehind(stage.client.app[db_key], flush_ms=200, batch_max=100)
    w.start()
    pending = [asyncio.create_task(w.submit(Note(stage.sid, str(n)))) for n in range(5)]
    await asyncio.sleep(0)
    await w.close()
    assert all(isinstance(r, int) for r in await asyncio.gather(*pending))
    assert await count(stage) == 5
    with pytest.raises(WriterClosed):
        await w.submit(Note(stage.sid, "late"))


async def test_without_a_wait_what_comes_during_a_commit_is_the_next_batch(stage: Stage) -> None:
    """The default (flush_ms=0): an idle writer commits at once, and the ops submitted
    while that commit runs go together in the next one (group commit)."""
    w = WriteBehind(stage.client.app[db_key], flush_ms=0, batch_max=256)
    w.start()
    try:
        first = asyncio.create_task(w.submit(Note(stage.sid, "alone")))
        while w.stats.batches == 0:  # the writer has taken it: its commit is under way
            await asyncio.sleep(0)
        rest = [asyncio.create_task(w.submit(Note(stage.sid, str(n)))) for n in range(20)]
        ids = [await first, *await asyncio.gather(*rest)]
        assert ids == sorted(ids) and await count(stage) == 21
        assert w.stats.batches == 2 and w.stats.ops == 21  # 1, then the 20 that waited
    finally:
        await w.close()
