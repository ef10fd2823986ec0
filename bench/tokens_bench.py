"""Join tokens issued and verified per second, beside bare PyJWT in the same run.

Bare PyJWT gets the same claims, the same Ed25519 key object and the same header;
the ratio is our throughput over bare PyJWT's (1.0 = no overhead). Rows:

- sign: the issuing step alone (``sign_join_token``: claims, a fresh jti, PyJWT encode)
  against ``jwt.encode`` of a prepared claims dict. Target: ratio ≥ 0.8.
- verify: ``verify_join_token`` (kid lookup, PyJWT decode, strict claim checks, ban and
  revocation checks) against ``jwt.decode`` with audience and issuer.
- issue, full decision: ``issue_join_token`` — the database reads of the decision
  (session, role, ban, sign-up) plus signing — against the same bare encode.
- POST /join: the endpoint over HTTP on 127.0.0.1 (login lookup, rate limit, decision,
  signing, JSON), requests per second; no bare counterpart.

Measurements alternate between ours and bare in short rounds, so both see the same
machine state. Run:  python bench/tokens_bench.py [--seconds 3] [--postgres URL]
With ``--postgres`` the bench creates a database of its own on that server and drops it
afterwards; it never writes into the database the URL names.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import cryptography
import jwt
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.accounts.identity import issue_login
from server.accounts.registration import create_user
from server.app import create_app
from server.appkeys import db_key, keyring_key, settings_key
from server.db.tables import Event, Room, Session, SessionType, Track, User
from server.settings import Settings
from server.tokens.join import (
    decide_join,
    issue_join_token,
    sign_join_token,
    verify_join_token,
)

ROUNDS = 30  # short alternating rounds: a busy machine hurts both sides alike


def _rate(fn: Callable[[], object], seconds: float) -> tuple[int, float]:
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            fn()
        n += 50
        now = time.perf_counter()
        if now >= deadline:
            return n, now - start


async def _arate(fn: Callable[[], Awaitable[object]], seconds: float) -> tuple[int, float]:
    n, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(10):
            await fn()
        n += 10
        now = time.perf_counter()
        if now >= deadline:
            return n, now - start


class Pair:
    """Ours and bare, measured in alternating rounds."""

    def __init__(self) -> None:
        self.ours = [0, 0.0]
        self.bare = [0, 0.0]

    def add(self, which: list[Any], result: tuple[int, float]) -> None:
        which[0] += result[0]
        which[1] += result[1]

    @staticmethod
    def per_second(acc: list[Any]) -> float:
        return acc[0] / acc[1] if acc[1] else 0.0


async def _programme(app: Any) -> tuple[User, int]:
    db = app[db_key]
    today = date.today()
    now = datetime.now(UTC)
    async with db.write() as s:
        event = Event(
            slug="bench",
            name="Bench",
            timezone="UTC",
            final_start=today - timedelta(days=1),
            final_end=today + timedelta(days=1),
            languages=["en"],
        )
        s.add(event)
        await s.flush()
        track = Track(event_id=event.id, slug="t", name="T")
        stype = SessionType(
            event_id=event.id,
            key="policy_statements",
            name="Policy statements",
            default_duration_min=60,
            interactive=False,
            default_capacity=None,
        )
        room = Room(event_id=event.id, slug="r", name="R", capacity=1000, stream={})
        s.add_all([track, stype, room])
        await s.flush()
        session = Session(
            event_id=event.id,
            title="Bench session",
            track_id=track.id,
            type_id=stype.id,
            room_id=room.id,
            start_utc=now + timedelta(minutes=5),
            end_utc=now + timedelta(minutes=65),
            capacity=None,
            open_to_all=True,
            state="scheduled",
        )
        s.add(session)
        await s.flush()
        sid = session.id
    await create_user(
        db,
        email="bench@example.org",
        name="Bench",
        password="correct horse battery",
        role="participant",
        organisation="",
        country="CH",
        stakeholder_group="other",
    )
    async with db.read() as s:
        from sqlalchemy import select

        user = (await s.scalars(select(User).where(User.email == "bench@example.org"))).one()
    return user, sid


async def _pg_admin(server_url: str, sql: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def run(seconds: float, postgres: str) -> dict[str, Any]:
    if not postgres:
        return await _run(seconds, "")
    name = f"forumlive_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(postgres, f'CREATE DATABASE "{name}"')
    try:
        return await _run(seconds, postgres.rsplit("/", 1)[0] + "/" + name)
    finally:
        await _pg_admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _run(seconds: float, database_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forumlive-bench-") as tmp:
        return await _measure(seconds, database_url, Path(tmp))


async def _measure(seconds: float, database_url: str, data_dir: Path) -> dict[str, Any]:
    settings = Settings(
        data_dir=data_dir,
        database_url=database_url,
        join_rate_per_minute=10**9,  # the bench measures tokens, not the limiter
    )
    app = create_app(settings)
    server = TestServer(app)
    client = TestClient(server)
    await client.start_server()
    try:
        user, sid = await _programme(app)
        issuer = app[settings_key].token_issuer
        signer = app[keyring_key].signer
        assert signer is not None
        public = signer.private.public_key()
        grant = await decide_join(app, user, sid)
        sample = sign_join_token(signer, issuer, grant, int(time.time()))
        claims = jwt.decode(sample.token, options={"verify_signature": False})
        headers = dict(signer.headers)
        aud = claims["aud"]
        bearer = {"Authorization": "Bearer " + await issue_login(app[db_key], user.id, 1)}
        slice_ = seconds / ROUNDS

        def ours_sign() -> object:
            return sign_join_token(signer, issuer, grant, int(time.time()))

        def bare_sign() -> object:
            return jwt.encode(claims, signer.private, algorithm="EdDSA", headers=headers)

        token = sample.token

        async def ours_verify() -> object:
            return await verify_join_token(app, token, sid)

        def bare_verify() -> object:
            return jwt.decode(token, public, algorithms=["EdDSA"], audience=aud, issuer=issuer)

        async def ours_issue() -> object:
            return await issue_join_token(app, user, sid)

        async def http_join() -> object:
            r = await client.post(f"/api/v1/sessions/{sid}/join", headers=bearer)
            assert r.status == 200, await r.text()
            return await r.read()

        sign, verify, issue = Pair(), Pair(), Pair()
        for _ in range(ROUNDS):
            sign.add(sign.bare, _rate(bare_sign, slice_))
            sign.add(sign.ours, _rate(ours_sign, slice_))
            verify.add(verify.bare, _rate(bare_verify, slice_))
            verify.add(verify.ours, await _arate(ours_verify, slice_))
            issue.add(issue.bare, _rate(bare_sign, slice_ / 2))
            issue.add(issue.ours, await _arate(ours_issue, slice_))
        http = Pair()
        for _ in range(ROUNDS):
            http.add(http.ours, await _arate(http_join, slice_))
    finally:
        await client.close()

    def row(name: str, pair: Pair, bare: bool = True) -> dict[str, Any]:
        ours = Pair.per_second(pair.ours)
        base = Pair.per_second(pair.bare) if bare else None
        return {
            "operation": name,
            "ours_per_s": round(ours, 1),
            "bare_pyjwt_per_s": None if base is None else round(base, 1),
            "ratio": None if not base else round(ours / base, 3),
        }

    return {
        "bench": "tokens",
        "at": datetime.now(UTC).isoformat(),
        "seconds_per_row": seconds,
        "database": "postgresql" if database_url.startswith("postgresql") else "sqlite",
        "python": platform.python_version(),
        "pyjwt": jwt.__version__,
        "cryptography": cryptography.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine
        "target": "sign ratio >= 0.8",
        "rows": [
            row("sign (issuing step)", sign),
            row("verify (+ revocation check)", verify),
            row("issue, full decision (DB reads + sign)", issue),
            row("POST /join over HTTP", http, bare=False),
        ],
    }


def _table(result: dict[str, Any]) -> str:
    lines = [
        f"join tokens: EdDSA (Ed25519), PyJWT {result['pyjwt']}, cryptography "
        f"{result['cryptography']}, Python {result['python']}, {result['database']}, "
        f"{result['cpus']} CPUs, load {result['load_average_1m']}",
        f"{'operation':<40} {'ours/s':>10} {'bare PyJWT/s':>13} {'ratio':>7}",
    ]
    for r in result["rows"]:
        bare = "-" if r["bare_pyjwt_per_s"] is None else f"{r['bare_pyjwt_per_s']:.0f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        lines.append(f"{r['operation']:<40} {r['ours_per_s']:>10.0f} {bare:>13} {ratio:>7}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per row")
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL server URL (postgresql+asyncpg://...); default: SQLite in a temp dir",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "tokens.json",
    )
    args = parser.parse_args()
    os.environ.setdefault("FORUMLIVE_LOG_LEVEL", "WARNING")
    import logging

    logging.disable(logging.INFO)
    result = asyncio.run(run(args.seconds, args.postgres))
    print(_table(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
