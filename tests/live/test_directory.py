"""Account lookups at connect are batched: a join storm costs a few queries."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from server.appkeys import db_key
from server.live.directory import Directory
from tests.live.support import Stage


async def test_concurrent_lookups_share_one_query_and_are_cached(stage: Stage) -> None:
    db = stage.client.app[db_key]
    people = [await stage.quick_user(f"Person {n}") for n in range(40)]
    queries: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM users" in statement:
            queries.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        directory = Directory(db)
        found = await asyncio.gather(
            *(directory.get(p["public_id"]) for p in people), directory.get("nobody")
        )
        assert len(queries) == 1
        assert [a.name for a in found[:-1] if a] == [p["name"] for p in people]
        assert found[0].user_id == people[0]["id"]
        assert found[-1] is None
        again = await directory.get(people[3]["public_id"])
        assert again is not None and again.name == "Person 3" and len(queries) == 1
        await directory.close()
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
