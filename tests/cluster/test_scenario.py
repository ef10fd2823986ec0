"""The whole path a participant takes, through nginx, on the compose topology."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest

from server.names import EV_SESSION_STATE
from tests.cluster.clients import Http, LiveClient, eventually, utcnow
from tests.cluster.conftest import Stage
from tests.cluster.topology import metric_samples
from tests.scheduler.support import transitions

pytestmark = pytest.mark.slow


def _count(samples: list[tuple[dict[str, str], float]], **labels: str) -> float:
    return sum(v for got, v in samples if all(got.get(k) == w for k, w in labels.items()))


async def test_agenda_register_join_chat_across_nodes_and_a_transition_on_both(
    stage: Stage,
) -> None:
    cluster, programme = stage.cluster, stage.programme
    a, b = cluster.node("node-a"), cluster.node("node-b")
    moderator = await stage.accounts.person("Mona Moderator")
    room = await programme.ongoing(moderator)
    sid = room["id"]

    # Agenda, registration and login through the load balancer.
    public = Http(cluster.url)
    try:
        agenda = await public.ok("GET", f"/api/v1/agenda?event={programme.event['slug']}")
        assert sid in [s["id"] for s in agenda["sessions"]]
        email = f"ada.{uuid.uuid4().hex[:8]}@example.org"
        registered = await public.ok("POST", "/api/v1/auth/register", {
            "name": "Ada Lovelace", "email": email, "password": "correct horse battery",
            "organisation": "Analytical Engines", "country": "GB",
            "stakeholder_group": "civil_society",
        }, status=201)  # fmt: skip
        login = await public.ok(
            "POST", "/api/v1/auth/login", {"email": email, "password": "correct horse battery"}
        )
        assert login["user"]["id"] == registered["user"]["id"]
    finally:
        await public.close()
    ada = {**login["user"], "bearer": login["token"]}

    # Two clients through nginx (round robin: one per node), one straight to each node.
    bea, cy = await stage.accounts.person("Bea"), await stage.accounts.person("Cy")
    clients = [
        await stage.client(cluster.url, ada, sid),
        await stage.client(cluster.url, moderator, sid),
        await stage.client(a.url, bea, sid),
        await stage.client(b.url, cy, sid),
    ]
    per_node = {a.name: a.clients_in(sid), b.name: b.clients_in(sid)}
    assert sum(per_node.values()) == 4 and min(per_node.values()) >= 1, per_node

    # Chat across nodes: everyone sees every message once, in seq order.
    sent = [await c.send(f"hello from {c.name}") for c in clients]
    assert None not in sent and len(set(sent)) == len(sent)
    for c in clients:
        await eventually(lambda c=c: set(sent) <= set(c.deliveries), 10, f"{c.name} to see all")
    for c in clients:
        assert c.duplicates() == []
        shown = [s for s in sorted(c.deliveries) if s in sent]
        assert [c.texts[s] for s in shown] == [f"hello from {x.name}" for x in clients]

    # A lifecycle transition, applied by the leading scheduler, pushed to clients on both nodes.
    leader = cluster.leader()
    assert leader is not None
    t0 = utcnow()
    upcoming = await programme.session(t0 + timedelta(seconds=4), t0 + timedelta(seconds=60))

    def states(c: LiveClient) -> list[tuple[str, str]]:
        return [(d["from"], d["to"]) for d in c.of(EV_SESSION_STATE) if d["session_id"] == upcoming["id"]]  # fmt: skip

    for c in clients:
        await eventually(lambda c=c: len(states(c)) >= 2, 20, f"{c.name} to hear lobby and live")
        assert states(c) == [("scheduled", "lobby"), ("lobby", "live")]
    rows = await transitions(cluster.db_url, upcoming["id"])
    assert [(r.from_state, r.to_state) for r in rows] == [("scheduled", "lobby"), ("lobby", "live")]

    # Operations: each node counts its own part; the leader reports the lateness it measured.
    tokens = [metric_samples(n.metrics(), "forumlive_join_tokens_issued_total") for n in (a, b)]
    assert sum(_count(t, role="participant") for t in tokens) >= 3
    assert sum(_count(t, role="moderator") for t in tokens) >= 1
    for node in (a, b):
        exposition = node.metrics()
        assert (
            _count(metric_samples(exposition, "forumlive_live_events_in_total"), event="chat:send")
            >= 1
        )
        assert (
            _count(
                metric_samples(exposition, "forumlive_live_events_out_total"), event="chat:message"
            )
            >= 4
        )
        assert _count(metric_samples(exposition, "forumlive_broadcast_seconds_count")) >= 4
        http = metric_samples(exposition, "forumlive_http_requests_total")
        assert _count(http, route="/readyz", method="GET", status="200") >= 1
    joins = [metric_samples(n.metrics(), "forumlive_http_requests_total") for n in (a, b)]
    assert sum(_count(j, route="/api/v1/sessions/{id}/join", status="200") for j in joins) >= 4
    lag = metric_samples(leader.metrics(), "forumlive_scheduler_lag_seconds_count")
    assert _count(lag) >= 2
    gauges = Counter(s.leader_gauge() for s in cluster.schedulers)
    assert gauges == Counter({1.0: 1, 0.0: 1})

    # Structured logs: JSON lines, each request with its id.
    lines = [json.loads(line) for line in a.log().splitlines() if line.startswith("{")]
    requests = [r for r in lines if r.get("event") == "request"]
    assert requests and all(r.get("request_id") for r in requests)
