"""PostgreSQL unreachable for a while: every request that needs it fails fast with a 503 and
a clear JSON error (through nginx too), live events are refused rather than lost, and
everything recovers by itself once the database is back — no node restarted."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.cluster.clients import Http, eventually
from tests.cluster.conftest import Stage

pytestmark = pytest.mark.slow


async def test_requests_fail_with_503_while_postgres_is_away_then_recover(stage: Stage) -> None:
    cluster = stage.cluster
    pids = [n.pid for n in cluster.nodes]
    moderator = await stage.accounts.person("Mona Moderator")
    session = await stage.programme.ongoing(moderator)
    agenda = f"/api/v1/agenda?event={stage.programme.event['slug']}"
    talker = await stage.client(cluster.url, moderator, session["id"])
    before = await talker.send("before the outage")
    assert before is not None

    public = Http(cluster.url)
    signed_in = Http(cluster.url, moderator["bearer"])
    try:
        await asyncio.to_thread(cluster.pg_proxy.cut)
        # Through nginx, more requests than nodes: each node answers for itself, none hangs.
        for _ in range(4):
            started = time.monotonic()
            status, body = await public.request("GET", agenda)
            assert status == 503, (status, body)
            assert time.monotonic() - started < 5
            assert body["error"]["code"] == "database_unavailable"
            assert body["error"]["message"]
        status, body = await signed_in.request("GET", "/api/v1/me")
        assert (status, body["error"]["code"]) == (503, "database_unavailable")
        status, body = await public.request(
            "POST", "/api/v1/auth/login", {"email": "nobody@example.org", "password": "x" * 12}
        )
        assert (status, body["error"]["code"]) == (503, "database_unavailable")
        for node in cluster.nodes:
            http = Http(node.url)
            try:
                status, ready = await http.request("GET", "/readyz")
                assert status == 503 and ready["error"]["details"]["database"] == "unreachable"
                assert (await http.request("GET", "/healthz"))[0] == 200  # alive, just not ready
            finally:
                await http.close()
        # A live message cannot be stored: refused with a reason, never acknowledged.
        ack = await talker.call("chat:send", {"text": "during the outage"}, timeout=15)
        assert ack is not None and ack["ok"] is False, ack
        assert ack["error"]["code"] == "unavailable", ack

        await asyncio.to_thread(cluster.pg_proxy.restore)
        restored = time.monotonic()

        async def agenda_back() -> bool:
            return (await public.request("GET", agenda))[0] == 200

        await eventually(agenda_back, 10, "the agenda to answer again")
        assert time.monotonic() - restored < 10
        assert (await signed_in.request("GET", "/api/v1/me"))[0] == 200
        after = await talker.send("after the outage")
        assert after == before + 1, "the refused message must not have taken a seq"
    finally:
        await public.close()
        await signed_in.close()
    assert [n.pid for n in cluster.nodes] == pids, "a node was restarted"
    assert await stage.accounts.stored_seqs(session["id"]) == [before, after]
