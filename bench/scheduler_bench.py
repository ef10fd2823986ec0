"""Scheduler at forum scale: timer rebuild for 10,000 sessions, and transition lateness under load.

What it does, all on 127.0.0.1 against a fresh PostgreSQL database:

1. Seeds 10,000 open sessions: most spread over the next four months, and ``--hot``
   (250, a final week's worth) whose lobby / start / end fall in a window a couple of
   minutes ahead, in bursts of ``--burst`` (25) parallel sessions starting in the same
   second every ``--burst-every`` (4) seconds — 25 rooms opening at 10:00, compressed.
   Plus one live session that carries the chat load.
2. Rebuild: times ``Planner.rebuild()`` (read every open session, plan the next step and
   the reminder of those within the planning horizon) in this process, a few times; the
   same with every session inside the horizon (one timer each: the worst case); and reads
   the time the real server logs for its own rebuild at start.
3. Lateness: starts ``forumlive serve`` (embedded scheduler) and a load process: chat
   clients in one ``/live`` room each sending a message every 2 s (so every message fans
   out to all of them), listeners on ``/agenda`` (and, with ``--agenda-readers``, loops on
   ``GET /api/v1/agenda``). When every hot session has ended: lateness = recorded ``at`` −
   ``due_at`` of each hot transition (the scheduler writes both); push delay = an
   ``/agenda`` listener's receive time − ``at``. Targets (issue 4): rebuild < 2 s, p99
   lateness < 1 s. ``--pin`` puts the server and the load on separate cores.

Run:  python bench/scheduler_bench.py [--hot 250] [--chat-clients 100] [--no-load]
Prints a table and writes bench/results/scheduler.json.
"""

# A bench driver, not a server: blocking file and process calls here stall nothing that serves.
# ruff: noqa: ASYNC109, ASYNC220, ASYNC230, ASYNC240

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.service import SchedulerService
from server.accounts.identity import issue_login
from server.accounts.passwords import hash_password
from server.db.engine import Database, make_engine
from server.db.migrate import upgrade
from server.db.tables import Event, Room, Session, SessionType, Track, User
from server.db.tables_scheduler import SessionTransition
from server.live.push import Pusher
from server.names import AGENDA_NAMESPACE, EV_CHAT_MESSAGE, EV_SESSION_STATE, LIVE_NAMESPACE
from server.settings import Settings

PG_URL = os.environ.get(
    "FORUMLIVE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
LOBBY_LEAD_S = 15  # the hot sessions' lobby opens 15 s before their start
HOT_LENGTH_S = 20


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(cpu: int) -> list[str]:
    """``taskset -c cpu`` when there is more than one core to spread over."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu % (os.cpu_count() or 1))]
    return []


# -- database -------------------------------------------------------------------------


async def _admin(sql: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def fresh_database() -> str:
    name = f"forumlive_schedbench_{uuid.uuid4().hex[:8]}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    engine = create_async_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def seed(db: Database, args: argparse.Namespace, hot_base: datetime) -> dict[str, Any]:
    """The programme, straight into the tables (the API's conflict rules are not under test)."""
    rnd = random.Random(4)
    now = datetime.now(UTC)
    today = date.today()
    async with db.write() as s:
        event = Event(
            slug="bench",
            name="Scheduler bench forum",
            timezone="Europe/Geneva",
            pre_events_start=today - timedelta(days=10),
            pre_events_end=today + timedelta(days=100),
            final_start=today + timedelta(days=110),
            final_end=today + timedelta(days=125),
            languages=["en"],
        )
        s.add(event)
        await s.flush()
        track = Track(event_id=event.id, slug="forum", name="Forum Track", description="")
        stype = SessionType(
            event_id=event.id,
            key="workshop",
            name="Workshop",
            default_duration_min=60,
            interactive=True,
            default_capacity=None,
        )
        s.add_all([track, stype])
        rooms = [
            Room(event_id=event.id, slug=f"r{i}", name=f"Room {i}", capacity=1000, stream={})
            for i in range(40)
        ]
        s.add_all(rooms)
        await s.flush()

        def row(i: int, start: datetime, end: datetime, state: str = "scheduled") -> dict[str, Any]:
            return {
                "event_id": event.id,
                "title": f"Session {i}",
                "abstract": "",
                "track_id": track.id,
                "type_id": stype.id,
                "room_id": rooms[i % len(rooms)].id,
                "start_utc": start,
                "end_utc": end,
                "capacity": None,
                "open_to_all": True,
                "state": state,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }

        cold = args.sessions - args.hot
        rows = []
        for i in range(cold):
            start = now + timedelta(days=1, minutes=rnd.randrange(0, 120 * 24 * 60))
            rows.append(row(i, start, start + timedelta(minutes=60)))
        for j in range(args.hot):
            start = hot_base + timedelta(seconds=args.burst_every * (j // args.burst))
            rows.append(row(cold + j, start, start + timedelta(seconds=HOT_LENGTH_S)))
        for i in range(0, len(rows), 2000):
            await s.execute(insert(Session), rows[i : i + 2000])
        chat = Session(**row(args.sessions, now - timedelta(minutes=5), now + timedelta(hours=2)))
        chat.state = "live"
        s.add(chat)
        await s.flush()
        chat_id = chat.id
        hot_ids = list(
            await s.scalars(
                select(Session.id)
                .where(Session.start_utc >= hot_base)
                .where(Session.start_utc < hot_base + timedelta(hours=1))
                .order_by(Session.id)
            )
        )
        password_hash = await hash_password("correct horse battery")
        users = [
            User(
                email=f"bench{k}@example.org",
                name=f"Bench {k}",
                password_hash=password_hash,
                organisation="Bench",
                country="CH",
                stakeholder_group="other",
                role="participant",
            )
            for k in range(args.chat_clients)
        ]
        s.add_all(users)
        await s.flush()
        user_ids = [u.id for u in users]
    tokens = [await issue_login(db, uid, 1) for uid in user_ids]
    return {"chat_session": chat_id, "hot_ids": hot_ids, "login_tokens": tokens}


# -- rebuild --------------------------------------------------------------------------


async def _no_push(*args: object, **kwargs: object) -> None:
    return None


async def measure_rebuild(
    db: Database, settings: Settings, repeat: int, horizon: timedelta | None = None
) -> dict[str, Any]:
    """``Planner.rebuild()`` timed; ``horizon`` overrides the planning horizon."""
    svc = SchedulerService(db=db, pusher=Pusher(_no_push), settings=settings)
    if horizon is not None:
        svc.planner.horizon = horizon
    svc.aps.start(paused=True)
    try:
        reports = [await svc.planner.rebuild() for _ in range(repeat)]
    finally:
        svc.aps.shutdown(wait=False)
    seconds = [r.seconds for r in reports]
    return {
        "sessions": reports[-1].sessions,
        "jobs": reports[-1].jobs,
        "deferred": reports[-1].deferred,
        "horizon_hours": svc.planner.horizon.total_seconds() / 3600,
        "seconds_each": [round(x, 4) for x in seconds],
        "seconds_median": round(statistics.median(seconds), 4),
    }


# -- load (runs in its own process) ------------------------------------------------


async def load_worker(cfg: dict[str, Any]) -> None:
    """Chat clients, agenda listeners and agenda readers until SIGTERM; stats to cfg['out']."""
    base = cfg["base"]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    stats: dict[str, Any] = {
        "chat_sent": 0,
        "chat_acked": 0,
        "chat_delivered": 0,
        "agenda_reads": 0,
        "agenda_read_errors": 0,
        "push_delays_s": [],
        "state_pushes": 0,
        "connect_errors": 0,
    }
    sid = cfg["chat_session"]

    async def join_token(http: aiohttp.ClientSession, login: str) -> str | None:
        async with http.post(
            f"{base}/api/v1/sessions/{sid}/join", headers={"Authorization": f"Bearer {login}"}
        ) as r:
            if r.status != 200:
                print("join refused:", r.status, await r.text(), file=sys.stderr)
                return None
            return str((await r.json())["token"])

    async def chat_client(token: str, k: int) -> None:
        client = socketio.AsyncClient(reconnection=False)

        async def on_message(data: Any) -> None:
            stats["chat_delivered"] += 1

        async def on_state(data: Any) -> None:
            stats["state_pushes"] += 1

        client.on(EV_CHAT_MESSAGE, on_message, namespace=LIVE_NAMESPACE)
        client.on(EV_SESSION_STATE, on_state, namespace=LIVE_NAMESPACE)
        try:
            await client.connect(
                base,
                namespaces=[LIVE_NAMESPACE],
                transports=["websocket"],
                auth={"token": token},
                wait_timeout=60,
            )
        except Exception as exc:
            stats["connect_errors"] += 1
            print("live connect failed:", exc, file=sys.stderr)
            return
        period = 1 / cfg["chat_rate"]
        await asyncio.sleep(period * k / max(1, cfg["chat_clients"]))  # spread the senders
        while not stop.is_set():
            stats["chat_sent"] += 1
            try:
                ack = await client.call(
                    "chat:send",
                    {"text": f"hello {k} " + "x" * 60},
                    namespace=LIVE_NAMESPACE,
                    timeout=10,
                )
                if isinstance(ack, dict) and ack.get("ok"):
                    stats["chat_acked"] += 1
            except Exception:
                pass
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)
        await client.disconnect()

    async def agenda_listener() -> None:
        client = socketio.AsyncClient(reconnection=False)

        async def on_state(data: dict[str, Any]) -> None:
            received = datetime.now(UTC)
            at = datetime.fromisoformat(data["at"])
            stats["push_delays_s"].append((received - at).total_seconds())

        client.on(EV_SESSION_STATE, on_state, namespace=AGENDA_NAMESPACE)
        try:
            await client.connect(
                base, namespaces=[AGENDA_NAMESPACE], transports=["websocket"], wait_timeout=60
            )
        except Exception:
            stats["connect_errors"] += 1
            return
        await stop.wait()
        await client.disconnect()

    async def agenda_reader(http: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            try:
                async with http.get(f"{base}/api/v1/agenda", params={"limit": "50"}) as r:
                    await r.read()
                    stats["agenda_reads" if r.status == 200 else "agenda_read_errors"] += 1
            except aiohttp.ClientError:
                stats["agenda_read_errors"] += 1
            await asyncio.sleep(cfg["agenda_pause"])

    async with aiohttp.ClientSession() as http:
        tokens = [await join_token(http, login) for login in cfg["login_tokens"]]
        tasks = []
        for k, t in enumerate(tokens):  # connect in small steps, as an audience arrives
            if t is not None:
                tasks.append(asyncio.create_task(chat_client(t, k)))
                await asyncio.sleep(0.02)
        for _ in range(cfg["agenda_clients"]):
            tasks.append(asyncio.create_task(agenda_listener()))
            await asyncio.sleep(0.02)
        tasks += [asyncio.create_task(agenda_reader(http)) for _ in range(cfg["agenda_readers"])]
        Path(cfg["ready"]).write_text("ready")
        started = time.monotonic()
        progress = Path(cfg["progress"])
        while not stop.is_set():  # how many transition pushes have arrived, for the driver
            progress.write_text(str(len(stats["push_delays_s"])))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1)
        elapsed = time.monotonic() - started
        await asyncio.wait(tasks, timeout=15)
    stats["seconds"] = elapsed
    Path(cfg["out"]).write_text(json.dumps(stats))


# -- the run -------------------------------------------------------------------------


async def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.5)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="scheduler-bench-"))
    url = args.database_url or await fresh_database()
    settings = Settings(
        database_url=url,
        data_dir=workdir,
        lobby_lead_minutes=LOBBY_LEAD_S / 60,
        reminder_minutes=15,
    )
    db = Database(make_engine(url))
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    try:
        hot_base = datetime.now(UTC) + timedelta(seconds=args.lead_in)
        t = time.perf_counter()
        data = await seed(db, args, hot_base)
        print(f"seeded {args.sessions} sessions in {time.perf_counter() - t:.1f} s", flush=True)
        rebuild = await measure_rebuild(db, settings, args.repeat)
        print(f"rebuild: {rebuild}", flush=True)
        # The worst case: every session's next moment inside the horizon (a timer each).
        rebuild_all = await measure_rebuild(db, settings, args.repeat, timedelta(days=365))
        print(f"rebuild, all within the horizon: {rebuild_all}", flush=True)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
        env.update(
            {
                "FORUMLIVE_LOBBY_LEAD_MINUTES": str(LOBBY_LEAD_S / 60),
                "FORUMLIVE_REMINDER_MINUTES": "15",
                "FORUMLIVE_LOG_FORMAT": "console",
                "FORUMLIVE_LIVE_CHAT_RATE_PER_SECOND": str(max(1.0, args.chat_rate * 2)),
            }
        )
        server_log = workdir / "serve.log"
        with open(server_log, "wb") as log_file:
            server = subprocess.Popen(
                [
                    *(pinned(0) if args.pin else []),
                    "forumlive",
                    "serve",
                    "--port",
                    str(port),
                    "--data-dir",
                    str(workdir / "data"),
                    "--database-url",
                    url,
                ],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )

        async def up() -> bool:
            if server is not None and server.poll() is not None:
                raise RuntimeError(f"server exited:\n{server_log.read_text()[-3000:]}")
            try:
                async with aiohttp.ClientSession() as http, http.get(base + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await wait_for(up, 120, "the server")
        logged = re.findall(
            r"planned (\d+) jobs for (\d+) open sessions in ([0-9.]+) s \((\d+) beyond",
            server_log.read_text(),
        )
        server_rebuild = (
            {
                "jobs": int(logged[0][0]),
                "sessions": int(logged[0][1]),
                "seconds": float(logged[0][2]),
                "deferred": int(logged[0][3]),
            }
            if logged
            else None
        )
        print(f"server rebuild at start: {server_rebuild}", flush=True)

        load: dict[str, Any] = {}
        if not args.no_load:
            cfg = {
                "base": base,
                "chat_session": data["chat_session"],
                "login_tokens": data["login_tokens"],
                "chat_clients": args.chat_clients,
                "chat_rate": args.chat_rate,
                "agenda_clients": args.agenda_clients,
                "agenda_readers": args.agenda_readers,
                "agenda_pause": args.agenda_pause,
                "ready": str(workdir / "load.ready"),
                "progress": str(workdir / "load.progress"),
                "out": str(workdir / "load.json"),
            }
            (workdir / "load.cfg").write_text(json.dumps(cfg))
            worker = subprocess.Popen(
                [
                    *(pinned(1) if args.pin else []),
                    sys.executable,
                    __file__,
                    "--load-worker",
                    str(workdir / "load.cfg"),
                ]
            )

            async def load_ready() -> bool:
                if worker is not None and worker.poll() is not None:
                    raise RuntimeError("the load process exited")
                return (workdir / "load.ready").exists()

            await wait_for(load_ready, 120, "the load to ramp up")
            first_due = hot_base - timedelta(seconds=LOBBY_LEAD_S)
            if datetime.now(UTC) > first_due:
                print("warning: the load ramped up after the first hot transition", flush=True)
            print("load running", flush=True)

        hot = data["hot_ids"]

        async def all_ended() -> bool:
            async with db.read() as s:
                done = await s.scalar(
                    select(func.count())
                    .select_from(SessionTransition)
                    .where(SessionTransition.to_state == "ended")
                    .where(SessionTransition.session_id.in_(hot))
                )
            return done == len(hot)

        last_end = hot_base + timedelta(
            seconds=args.burst_every * ((args.hot - 1) // args.burst) + HOT_LENGTH_S
        )
        await wait_for(
            all_ended, (last_end - datetime.now(UTC)).total_seconds() + 120, "the hot sessions"
        )
        if worker is not None:
            # Let the pushes of the last transitions arrive (each listener hears every one).
            expected = 3 * len(hot) * args.agenda_clients
            progress = workdir / "load.progress"

            async def all_heard() -> bool:
                text_ = progress.read_text() if progress.exists() else ""
                return text_.isdigit() and int(text_) >= expected

            with contextlib.suppress(RuntimeError):
                await wait_for(all_heard, 60, "the last pushes")
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
            load = json.loads((workdir / "load.json").read_text())

        async with db.read() as s:
            rows = (
                await s.execute(
                    select(
                        SessionTransition.session_id,
                        SessionTransition.to_state,
                        SessionTransition.cause,
                        SessionTransition.at,
                        SessionTransition.due_at,
                    ).where(SessionTransition.session_id.in_(hot))
                )
            ).all()
        lateness = [(r.at - r.due_at).total_seconds() for r in rows]
        pairs = {(r.session_id, r.to_state) for r in rows}
        delays = load.get("push_delays_s", [])
        seconds = load.get("seconds") or 1
        return {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
                "database": "postgresql",
            },
            "config": {
                "sessions": args.sessions,
                "hot_sessions": args.hot,
                "burst": args.burst,
                "burst_every_s": args.burst_every,
                "lobby_lead_s": LOBBY_LEAD_S,
                "chat_clients": args.chat_clients,
                "chat_rate_per_client": args.chat_rate,
                "agenda_clients": args.agenda_clients,
                "agenda_readers": args.agenda_readers,
                "load": not args.no_load,
            },
            "rebuild_in_process": rebuild,
            "rebuild_in_process_all_within_horizon": rebuild_all,
            "rebuild_server_start": server_rebuild,
            "transitions": {
                "count": len(rows),
                "expected": 3 * len(hot),
                "duplicates": len(rows) - len(pairs),
                "causes": {
                    c: sum(1 for r in rows if r.cause == c) for c in {r.cause for r in rows}
                },
                "lateness_p50_s": _round(percentile(lateness, 50)),
                "lateness_p99_s": _round(percentile(lateness, 99)),
                "lateness_max_s": round(max(lateness), 4) if lateness else None,
                "early": sum(1 for x in lateness if x < 0),
            },
            "push": {
                "received": len(delays),
                "expected": 0 if args.no_load else 3 * len(hot) * args.agenda_clients,
                "delay_p50_s": _round(percentile(delays, 50)),
                "delay_p99_s": _round(percentile(delays, 99)),
            },
            "load": {
                "chat_sent_per_s": round(load.get("chat_sent", 0) / seconds, 1),
                "chat_acked_per_s": round(load.get("chat_acked", 0) / seconds, 1),
                "chat_delivered_per_s": round(load.get("chat_delivered", 0) / seconds, 1),
                "agenda_reads_per_s": round(load.get("agenda_reads", 0) / seconds, 1),
                "agenda_read_errors": load.get("agenda_read_errors", 0),
                "state_pushes_to_live_clients": load.get("state_pushes", 0),
                "connect_errors": load.get("connect_errors", 0),
            },
        }
    finally:
        for proc in (worker, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        await db.close()
        if not args.database_url and not args.keep:
            await _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        if args.keep:
            print(f"kept {workdir} (server log: serve.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f} ms"


def table(result: dict[str, Any]) -> str:
    ra = result["rebuild_in_process_all_within_horizon"]
    rb, srv, tr, push, load = (
        result["rebuild_in_process"],
        result["rebuild_server_start"] or {},
        result["transitions"],
        result["push"],
        result["load"],
    )
    lines = [
        ("sessions (open)", f"{rb['sessions']:,}"),
        (
            "rebuild, programme over months",
            f"{rb['seconds_median']:.3f} s   ({rb['jobs']:,} timers, {rb['deferred']:,} beyond"
            f" the {rb['horizon_hours']:.0f} h horizon; target < 2 s)",
        ),
        (
            "rebuild, all within the horizon",
            f"{ra['seconds_median']:.3f} s   ({ra['jobs']:,} timers)",
        ),
        ("rebuild, server start", f"{srv.get('seconds', float('nan')):.3f} s"),
        (
            "hot transitions",
            f"{tr['count']:,} of {tr['expected']:,}, {tr['duplicates']} duplicates",
        ),
        ("causes", ", ".join(f"{k} {v}" for k, v in sorted(tr["causes"].items()))),
        ("lateness p50", _ms(tr["lateness_p50_s"])),
        ("lateness p99", f"{_ms(tr['lateness_p99_s'])}   (target < 1 s)"),
        ("lateness max", _ms(tr["lateness_max_s"])),
        ("early transitions", str(tr["early"])),
        (
            "push delay p50 / p99",
            f"{_ms(push['delay_p50_s'])} / {_ms(push['delay_p99_s'])}"
            f"   ({push['received']:,} of {push['expected']:,} received)",
        ),
        (
            "chat sent / delivered per s",
            f"{load['chat_sent_per_s']} / {load['chat_delivered_per_s']}",
        ),
        ("agenda reads per s", f"{load['agenda_reads_per_s']}"),
        ("connect errors", str(load["connect_errors"])),
    ]
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument(
        "--hot", type=int, default=250, help="sessions inside the window (a final week's worth)"
    )
    parser.add_argument("--burst", type=int, default=25, help="hot sessions sharing a start")
    parser.add_argument("--burst-every", type=float, default=4.0, help="seconds between bursts")
    parser.add_argument("--lead-in", type=float, default=120, help="seconds before the first start")
    parser.add_argument("--repeat", type=int, default=3, help="in-process rebuilds to time")
    parser.add_argument("--chat-clients", type=int, default=100)
    parser.add_argument("--chat-rate", type=float, default=0.5, help="messages/s per chat client")
    parser.add_argument("--agenda-clients", type=int, default=100)
    parser.add_argument(
        "--agenda-readers", type=int, default=0, help="loops reading GET /api/v1/agenda?limit=50"
    )
    parser.add_argument("--agenda-pause", type=float, default=0.5)
    parser.add_argument(
        "--pin", action="store_true", help="pin the server to core 0 and the load to core 1"
    )
    parser.add_argument("--no-load", action="store_true", help="lateness on an idle server")
    parser.add_argument("--database-url", help="an empty migrated PostgreSQL database")
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent / "results" / "scheduler.json"
    )
    parser.add_argument("--load-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_worker:
        asyncio.run(load_worker(json.loads(args.load_worker.read_text())))
        return 0
    result = asyncio.run(run(args))
    print(table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
