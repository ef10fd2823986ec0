"""Abuse limits end to end, on two real nodes sharing Redis: a limit reached through node A
holds on node B. Login throttling, registration spam per IP, join-token requests, chat flood.

The nodes run with small limits (tests/security/cluster.py LIMITS): 3 failed logins per
address (30 per IP), 3 registrations per IP per 10 minutes, 5 join tokens per minute,
chat at 1 message/s with bursts of 5.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp.test_utils import TestClient

from server.app import create_app
from server.settings import Settings
from tests.api.helpers import expect_error
from tests.live.support import Peer
from tests.security.cluster import PASSWORD, Cluster, client_ip


async def test_login_throttling_holds_across_nodes(cluster: Cluster) -> None:
    ip = client_ip()
    user = await cluster.register(cluster.a, ip)
    wrong = {"email": user["email"], "password": "not the password"}
    for node in (cluster.a, cluster.b, cluster.a):
        status, body, _ = await cluster.request(node, "POST", "/api/v1/auth/login", ip, json=wrong)
        assert status == 401, body
    # The right password, on the other node, from another network: still locked.
    right = {"email": user["email"], "password": PASSWORD}
    status, body, headers = await cluster.request(
        cluster.b, "POST", "/api/v1/auth/login", client_ip(), json=right
    )
    assert status == 429 and body["error"]["code"] == "too_many_attempts", body
    assert int(headers["Retry-After"]) > 0
    assert body["error"]["details"]["retry_after"] == int(headers["Retry-After"])


async def test_one_ip_spraying_many_accounts_is_throttled(cluster: Cluster) -> None:
    """30 failures (10 × the per-address limit) from one IP, each for another address."""
    ip = client_ip()
    for i in range(30):
        node = cluster.nodes[i % 2]
        wrong = {"email": f"nobody{i}.{ip}@example.org", "password": "guessing wrong"}
        status, body, _ = await cluster.request(node, "POST", "/api/v1/auth/login", ip, json=wrong)
        assert status == 401, (i, body)
    fresh = {"email": f"someone.else.{ip}@example.org", "password": "guessing wrong"}
    status, body, _ = await cluster.request(cluster.b, "POST", "/api/v1/auth/login", ip, json=fresh)
    assert status == 429, body
    # Another network is not affected.
    status, body, _ = await cluster.request(
        cluster.b, "POST", "/api/v1/auth/login", client_ip(), json=fresh
    )
    assert status == 401, body


async def test_registration_spam_is_limited_per_ip_across_nodes(cluster: Cluster) -> None:
    ip = client_ip()
    for node in (cluster.a, cluster.b, cluster.a):
        await cluster.register(node, ip)
    for node in (cluster.b, cluster.a):
        status, body, headers = await cluster.request(
            node, "POST", "/api/v1/auth/register", ip,
            json={"name": "Spam", "email": f"spam.{time.monotonic_ns()}@example.org",
                  "password": PASSWORD, "organisation": "S", "country": "CH",
                  "stakeholder_group": "other"},
        )  # fmt: skip
        assert status == 429 and body["error"]["code"] == "too_many_registrations", body
        assert int(headers["Retry-After"]) > 0
    # The next network registers as usual.
    await cluster.register(cluster.b, client_ip())


async def test_join_token_requests_are_rate_limited_across_nodes(cluster: Cluster) -> None:
    ip = client_ip()
    user = await cluster.register(cluster.a, ip)
    path = f"/api/v1/sessions/{cluster.session_id}/join"
    for i in range(5):
        await cluster.ok(cluster.nodes[i % 2], "POST", path, ip, user["token"])
    status, body, headers = await cluster.request(cluster.b, "POST", path, ip, user["token"])
    assert status == 429 and body["error"]["code"] == "too_many_requests", body
    assert int(headers["Retry-After"]) > 0
    # Someone else still gets theirs.
    other = await cluster.register(cluster.b, ip)
    await cluster.ok(cluster.a, "POST", path, ip, other["token"])


async def _peer(cluster: Cluster, node: Any, token: str) -> Peer:
    return await Peer(node.url).connect(token)


async def test_chat_flood_is_throttled_across_nodes_while_others_flow(cluster: Cluster) -> None:
    """One person floods through a connection on each node: across both, the bucket lets
    through its burst plus the rate, no more; another person's messages all arrive."""
    ip = client_ip()
    path = f"/api/v1/sessions/{cluster.session_id}/join"
    flooder, speaker, watcher = [
        await cluster.register(cluster.nodes[i % 2], client_ip()) for i in range(3)
    ]
    tokens = [
        (await cluster.ok(cluster.a, "POST", path, ip, u["token"]))["token"]
        for u in (flooder, flooder, speaker, watcher)
    ]
    on_a = await _peer(cluster, cluster.a, tokens[0])
    on_b = await _peer(cluster, cluster.b, tokens[1])
    other = await _peer(cluster, cluster.a, tokens[2])
    watch = await _peer(cluster, cluster.b, tokens[3])
    try:
        accepted, limited = 0, 0
        started = time.monotonic()
        others_sent: list[int] = []
        for i in range(200):
            conn = (on_a, on_b)[i % 2]
            ack = await conn.call("chat:send", {"text": f"flood {i}"})
            if ack["ok"]:
                accepted += 1
            else:
                assert ack["error"]["code"] == "rate_limited", ack
                assert ack["error"]["retry_after_ms"] > 0
                limited += 1
            if i % 50 == 25:  # meanwhile, someone else talks
                reply = await other.call("chat:send", {"text": f"not flooding {i}"})
                assert reply["ok"] is True, reply
                others_sent.append(reply["seq"])
        elapsed = time.monotonic() - started
        # Burst 5 + 1/s: a little slack for the second the last refill fell in.
        assert accepted <= 5 + elapsed * 1 + 1, (accepted, elapsed)
        assert accepted >= 5, accepted
        assert accepted + limited == 200
        # The other person's messages crossed to node B's watcher, every one.
        await watch.wait(
            lambda: {m["seq"] for m in watch.events["chat:message"]} >= set(others_sent), timeout=10
        )
        texts = [m["text"] for m in watch.events["chat:message"]]
        assert sum(t.startswith("flood") for t in texts) == accepted
    finally:
        for peer in (on_a, on_b, other, watch):
            await peer.close()


# --- in-process: the client address behind a proxy ---------------------------------------


async def _register(client: TestClient, n: int, forwarded: str | None) -> Any:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await client.post(
        "/api/v1/auth/register",
        headers=headers,
        json={"name": "N", "email": f"n{n}.{time.monotonic_ns()}@example.org", "password": PASSWORD,
              "organisation": "O", "country": "CH", "stakeholder_group": "other"},
    )  # fmt: skip


async def test_a_forged_forwarded_for_from_an_untrusted_peer_changes_nothing(
    aiohttp_client: Any, settings: Settings
) -> None:
    """Without trusted proxies, X-Forwarded-For is the client's own say-so: ignored."""
    client = await aiohttp_client(
        create_app(settings.model_copy(update={"register_max_per_ip": 2}))
    )
    for n in range(2):
        assert (await _register(client, n, f"203.0.113.{n}")).status == 201
    await expect_error(await _register(client, 9, "203.0.113.99"), 429, "too_many_registrations")


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(
    aiohttp_client: Any, settings: Settings
) -> None:
    """The proxy's own hop is the truth; addresses a client prepended are not believed."""
    app = create_app(
        settings.model_copy(update={"register_max_per_ip": 2, "trusted_proxies": ["127.0.0.0/8"]})
    )
    client = await aiohttp_client(app)
    for n in range(2):  # the client forges a different first hop each time
        assert (await _register(client, n, f"10.0.0.{n}, 192.0.2.7")).status == 201
    await expect_error(
        await _register(client, 5, "10.9.9.9, 192.0.2.7"), 429, "too_many_registrations"
    )
    assert (await _register(client, 6, "192.0.2.8")).status == 201


async def test_the_registration_limit_counts_concurrent_requests(
    aiohttp_client: Any, settings: Settings
) -> None:
    client = await aiohttp_client(
        create_app(settings.model_copy(update={"register_max_per_ip": 3}))
    )
    results = await asyncio.gather(*(_register(client, n, None) for n in range(8)))
    assert sorted(r.status for r in results) == [201] * 3 + [429] * 5
