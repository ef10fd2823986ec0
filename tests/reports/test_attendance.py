"""Attendance reports from real presence: Socket.IO clients join and leave a live
session, the recorder writes what presence saw, and the organiser's reports show the
peak, when it was, the unique viewers and the curve — on one node and on two nodes
sharing Redis; an erased account still counts but is no longer anyone's."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from server.app import create_app
from server.appkeys import attendance_key, db_key, live_key
from server.db.tables_attendance import AttendanceViewer
from server.live.attendance import Attendance
from server.settings import Settings
from tests.api.helpers import expect_error
from tests.factories import Factory
from tests.live.conftest import GENEROUS, eventually
from tests.live.support import Peer, Peers, Stage

BUCKET = 60
# The recorder is driven by hand (flush) and by a clock the test moves: no waiting for
# buckets to pass, and the background flush never runs during a test.
ATTENDANCE = {
    **GENEROUS,
    "live_attendance_sample_seconds": BUCKET,
    "live_attendance_flush_seconds": 300.0,
}


class Clock:
    def __init__(self) -> None:
        now = datetime.now(UTC).timestamp()
        self.start = int(now // BUCKET) * BUCKET - 20 * BUCKET  # an aligned bucket, in the past
        self.t = float(self.start + 1)

    def __call__(self) -> float:
        return self.t

    def bucket(self, n: int) -> None:
        self.t = float(self.start + n * BUCKET + 1)

    def iso(self, n: int) -> str:
        at = datetime.fromtimestamp(self.start + n * BUCKET, UTC)
        return at.isoformat().replace("+00:00", "Z")


def recorder(stage_or_client: Any) -> Attendance:
    return stage_or_client.app[attendance_key]


async def people_in_room(app: Any, sid: int, n: int) -> None:
    """Presence (cluster-wide) says ``n``, and this node's recount has been seen."""
    presence = app[live_key].presence

    async def check() -> bool:
        return await presence.count(sid) == n

    await eventually(check, timeout=10)


async def pushed(peer: Peer, n: int) -> None:
    """A presence tick recounted the room and pushed ``n``: the recorder saw it too."""
    await peer.wait(lambda: any(c["count"] == n for c in peer.events["presence:count"]), 10)


@pytest.fixture
async def stage(aiohttp_client: Any, settings: Settings) -> Stage:
    app = create_app(settings.model_copy(update=ATTENDANCE))
    return await Stage(Factory(await aiohttp_client(app))).setup()


@pytest.fixture
async def peers(stage: Stage) -> AsyncIterator[Peers]:
    group = Peers(stage)
    try:
        yield group
    finally:
        await group.close()


@pytest.fixture
async def organiser(stage: Stage) -> dict[str, str]:
    return await stage.factory.organiser_headers()


async def test_peak_unique_and_the_curve_follow_real_connections(
    stage: Stage, peers: Peers, organiser: dict[str, str]
) -> None:
    app, sid = stage.client.app, stage.sid
    clock = Clock()
    rec = recorder(stage.client)
    rec.clock = clock

    # Bucket 0: Alice, and Bob in two tabs: two people.
    alice = await peers.join(name="Alice")
    bob_user = await stage.quick_user("Bob")
    bob = await peers.join(bob_user)
    bob_tab = await peers.join(bob_user)
    await people_in_room(app, sid, 2)
    await rec.flush()

    # Bucket 1: Carol and Dan come, then Bob (both tabs), Carol and Dan go: the peak is 4.
    clock.bucket(1)
    carol = await peers.join(name="Carol")
    dan = await peers.join(name="Dan")
    await pushed(alice, 4)  # a transient peak, seen by a presence tick, not by a flush
    for peer in (bob, bob_tab, carol, dan):
        await peer.close()
    await people_in_room(app, sid, 1)
    await rec.flush()

    # Bucket 2: Alice alone, then gone; bucket 3 is written as empty.
    clock.bucket(2)
    await rec.flush()
    await alice.close()
    await eventually(lambda: sid not in app[live_key].presence.local)
    await rec.flush()
    clock.bucket(3)
    await rec.flush()

    # Bucket 10: Erin comes back to an empty room.
    clock.bucket(10)
    await peers.join(name="Erin")
    await people_in_room(app, sid, 1)
    await rec.flush()

    r = await stage.client.get(f"/api/v1/sessions/{sid}/attendance", headers=organiser)
    assert r.status == 200, await r.text()
    series = await r.json()
    assert series["bucket_seconds"] == BUCKET
    assert series["peak_viewers"] == 4
    assert series["peak_at"] == clock.iso(1)
    assert series["unique_viewers"] == 5  # Alice, Bob, Carol, Dan, Erin
    assert [(p["at"], p["viewers"]) for p in series["samples"]] == [
        (clock.iso(0), 2),
        (clock.iso(1), 4),
        (clock.iso(2), 1),
        (clock.iso(3), 0),
        (clock.iso(9), 0),  # the empty stretch, made explicit
        (clock.iso(10), 1),
    ]

    r = await stage.client.get("/api/v1/reports/attendance", headers=organiser)
    assert r.status == 200, await r.text()
    report = await r.json()
    assert report["total"] == 1 and report["bucket_seconds"] == BUCKET
    line = report["sessions"][0]
    assert (line["id"], line["title"]) == (sid, stage.session["title"])
    assert (line["peak_viewers"], line["peak_at"], line["unique_viewers"]) == (4, clock.iso(1), 5)
    assert line["track"] == "forum" and line["state"] == stage.session["state"]

    # First and last seen: Carol came and went within bucket 1.
    async with app[db_key].read() as s:
        rows = {
            v.user_id: v
            for v in await s.scalars(
                select(AttendanceViewer).where(AttendanceViewer.session_id == sid)
            )
        }
    carol_row = rows[carol.user["id"]]  # type: ignore[attr-defined]
    assert carol_row.first_seen == datetime.fromtimestamp(clock.start + BUCKET + 1, UTC)
    assert carol_row.last_seen == carol_row.first_seen  # gone before the next flush
    alice_row = rows[alice.user["id"]]  # type: ignore[attr-defined]
    assert alice_row.last_seen == datetime.fromtimestamp(clock.start + 2 * BUCKET + 1, UTC)


async def test_people_who_stay_are_rewritten_a_slice_per_flush(stage: Stage, peers: Peers) -> None:
    """Joins and leaves are written at the next flush; people who stay are refreshed
    once per bucket, a slice of them at each flush, not all of them every time."""
    app, sid = stage.client.app, stage.sid
    live = app[live_key]
    clock = Clock()
    rec = Attendance(app[db_key], live.presence, live.conns, BUCKET, BUCKET / 4, clock)
    live.presence.observer = rec
    try:
        group = [await peers.join(name=f"Person {n}") for n in range(12)]
        await people_in_room(app, sid, 12)
        await rec.flush()
        assert rec.rows_written == 12  # the joins
        written = []
        for _ in range(4):  # one bucket: every slice once
            clock.t += BUCKET / 4
            await rec.flush()
            written.append(rec.rows_written)
        assert sum(written) == 12 and max(written) < 12
        async with app[db_key].read() as s:
            rows = list(
                await s.scalars(select(AttendanceViewer).where(AttendanceViewer.session_id == sid))
            )
        assert len(rows) == 12 and all(r.last_seen > r.first_seen for r in rows)

        last_flush = clock.t
        await group[0].close()
        await people_in_room(app, sid, 11)
        clock.t += BUCKET / 4
        await rec.flush()
        async with app[db_key].read() as s:
            gone = await s.scalar(
                select(AttendanceViewer).where(
                    AttendanceViewer.session_id == sid,
                    AttendanceViewer.user_id == group[0].user["id"],  # type: ignore[attr-defined]
                )
            )
        assert gone is not None
        assert gone.last_seen == datetime.fromtimestamp(last_flush, UTC)  # last seen present

        await rec.flush(everyone=True)  # as on shutdown
        assert rec.rows_written == 11
    finally:
        live.presence.observer = recorder(stage.client)


async def test_csv_and_filters(stage: Stage, peers: Peers, organiser: dict[str, str]) -> None:
    app, sid = stage.client.app, stage.sid
    other = await stage.another_session()
    await peers.join(name="Ana")
    await peers.join(name="Ben")
    await people_in_room(app, sid, 2)
    side_user = await stage.quick_user("Side")
    side = peers.new()
    await side.connect(await stage.quick_token(side_user, session_id=other["id"]))
    await people_in_room(app, other["id"], 1)
    await recorder(stage.client).flush()

    r = await stage.client.get("/api/v1/reports/attendance?format=csv", headers=organiser)
    assert r.status == 200 and r.content_type == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(await r.text())))
    by_id = {int(x["id"]): x for x in rows}
    assert set(by_id) == {sid, other["id"]}
    assert (by_id[sid]["peak_viewers"], by_id[sid]["unique_viewers"]) == ("2", "2")
    assert (by_id[other["id"]]["peak_viewers"], by_id[other["id"]]["unique_viewers"]) == ("1", "1")

    today = stage.session["start_event"][:10]
    tomorrow = (datetime.fromisoformat(today) + timedelta(days=1)).date().isoformat()
    r = await stage.client.get(f"/api/v1/reports/attendance?day={today}", headers=organiser)
    assert (await r.json())["total"] == 2
    r = await stage.client.get(f"/api/v1/reports/attendance?day={tomorrow}", headers=organiser)
    assert (await r.json())["total"] == 0
    r = await stage.client.get("/api/v1/reports/attendance?track=no-such", headers=organiser)
    assert (await r.json())["total"] == 0
    r = await stage.client.get("/api/v1/reports/attendance?track=forum", headers=organiser)
    assert (await r.json())["total"] == 2

    r = await stage.client.get(
        f"/api/v1/sessions/{sid}/attendance", headers={**organiser, "Accept": "text/csv"}
    )
    assert r.status == 200 and r.content_type == "text/csv"
    series = list(csv.DictReader(io.StringIO(await r.text())))
    assert [x["viewers"] for x in series] == ["2"]


async def test_only_organisers_and_json_errors(
    stage: Stage, organiser: dict[str, str], factory_user: Callable[[], Any]
) -> None:
    client, sid = stage.client, stage.sid
    await expect_error(await client.get("/api/v1/reports/attendance"), 401, "unauthorized")
    await expect_error(await client.get(f"/api/v1/sessions/{sid}/attendance"), 401, "unauthorized")
    participant = await factory_user()
    await expect_error(
        await client.get("/api/v1/reports/attendance", headers=participant), 403, "forbidden"
    )
    await expect_error(
        await client.get(f"/api/v1/sessions/{sid}/attendance", headers=participant),
        403,
        "forbidden",
    )
    await expect_error(
        await client.get("/api/v1/sessions/999999/attendance", headers=organiser), 404, "not_found"
    )
    await expect_error(
        await client.get("/api/v1/reports/attendance?day=17-05-2021", headers=organiser),
        422,
        "validation_error",
    )
    await expect_error(
        await client.get("/api/v1/reports/attendance?colour=red", headers=organiser),
        422,
        "validation_error",
    )
    # A session nobody visited has an empty curve, not an error.
    r = await client.get(f"/api/v1/sessions/{sid}/attendance", headers=organiser)
    body = await r.json()
    assert (body["peak_viewers"], body["peak_at"], body["unique_viewers"]) == (0, None, 0)
    assert body["samples"] == []


@pytest.fixture
def factory_user(stage: Stage) -> Callable[[], Any]:
    async def make() -> dict[str, str]:
        user = await stage.factory.user()
        return user["headers"]

    return make


async def test_erased_viewer_still_counts_but_is_nobody(
    stage: Stage, peers: Peers, organiser: dict[str, str]
) -> None:
    app, sid = stage.client.app, stage.sid
    user = await stage.factory.user()
    token = await stage.token(user)
    viewer = peers.new()
    await viewer.connect(token)
    await peers.join(name="Stays")
    await people_in_room(app, sid, 2)
    await recorder(stage.client).flush()

    r = await stage.client.get("/api/v1/me/export", headers=user["headers"])
    assert r.status == 200
    exported = (await r.json())["attendance"]
    assert [x["session_id"] for x in exported] == [sid]
    assert exported[0]["first_seen"] <= exported[0]["last_seen"]

    r = await stage.client.delete("/api/v1/me", headers=user["headers"])
    assert r.status == 200, await r.text()
    await recorder(stage.client).flush()  # the kicked connection must not bring the id back
    async with app[db_key].read() as s:
        rows = list(
            await s.scalars(select(AttendanceViewer).where(AttendanceViewer.session_id == sid))
        )
    assert len(rows) == 2
    assert user["id"] not in {row.user_id for row in rows}
    assert sum(row.user_id is None for row in rows) == 1
    r = await stage.client.get(f"/api/v1/sessions/{sid}/attendance", headers=organiser)
    assert (await r.json())["unique_viewers"] == 2


async def test_two_nodes_write_the_same_buckets_without_a_leader(
    aiohttp_client: Any, settings: Settings, redis_url: str
) -> None:
    node_settings = settings.model_copy(
        update={
            **ATTENDANCE,
            "redis_url": redis_url,
            "secret_key": "attendance-test-secret-shared-by-both-nodes",
        }
    )
    a = await aiohttp_client(create_app(node_settings))
    b = await aiohttp_client(create_app(node_settings))
    stage = await Stage(Factory(a)).setup()
    sid = stage.sid
    clock = Clock()
    for client in (a, b):
        recorder(client).clock = clock
    peers = Peers(stage)
    try:
        b_url = str(b.make_url("")).rstrip("/")
        shared = await stage.quick_user("On both nodes")
        for url, user in ((stage.url(), None), (b_url, None), (b_url, None), (b_url, shared)):
            user = user or await stage.quick_user()
            peer: Peer = peers.new(url)
            await peer.connect(await stage.quick_token(user))
        on_a = peers.new(stage.url())
        await on_a.connect(await stage.quick_token(shared))  # one person, two nodes
        # Presence sums the nodes' counts: the person on both is in each node's part.
        for client in (a, b):
            await people_in_room(client.app, sid, 5)
        # Both nodes write the bucket, twice, in either order: still the cluster's count.
        await recorder(a).flush()
        await recorder(b).flush()
        await recorder(a).flush()
        organiser = await stage.factory.organiser_headers()
        r = await a.get(f"/api/v1/sessions/{sid}/attendance", headers=organiser)
        series = await r.json()
        assert [(p["at"], p["viewers"]) for p in series["samples"]] == [(clock.iso(0), 5)]
        assert series["unique_viewers"] == 4  # people, not connections: once each

        # Everyone on B leaves; A still serves the room: B's zero does not win.
        for peer in peers.open[1:4]:
            await peer.close()
        for client in (a, b):
            await people_in_room(client.app, sid, 2)
        await recorder(b).flush()
        await recorder(a).flush()
        clock.bucket(1)
        await recorder(b).flush()
        await recorder(a).flush()
        clock.bucket(2)
        await recorder(a).flush()
        await recorder(b).flush()
        r = await b.get(f"/api/v1/sessions/{sid}/attendance", headers=organiser)
        series = await r.json()
        assert [(p["at"], p["viewers"]) for p in series["samples"]] == [
            (clock.iso(0), 5),
            (clock.iso(1), 2),
            (clock.iso(2), 2),
        ], (clock.start, series)
        assert (series["peak_viewers"], series["peak_at"]) == (5, clock.iso(0))
    finally:
        await peers.close()
