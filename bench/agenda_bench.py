"""Agenda over HTTP: forumlive's GET /api/v1/agenda beside a minimal Node.js `http` server.

forumlive runs as ``forumlive serve --demo --no-scheduler`` (embedded, SQLite, the demo
programme), pinned to one core. The reference (bench/agenda_reference.mjs) is node's
``http`` module answering every request with the very bytes and headers forumlive
sent for the same URL. The load is ``wrk`` (Debian package ``wrk``: apt-get install wrk)
on another core, keep-alive, the same connections and duration for both, one server
at a time. Rows:

- forumlive 200: the unfiltered agenda, a full body every time (served from the
  pre-serialised cache after the first request);
- forumlive 304: the same with ``If-None-Match`` (what a browser revalidating sends);
- forumlive 200 with access logging at INFO (the server's default log level: one
  structured line per request) beside the run at WARNING;
- reference 200.

Prints requests/s, latency p50/p99 (wrk --latency), server CPU per request, and the
forumlive/reference ratios; writes JSON to bench/results/.

    python bench/agenda_bench.py                      # 20 connections, 10 s per row
    python bench/agenda_bench.py --connections 50 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.fanout.run import cpu_seconds, free_port, pinned, spawn, wait_http  # noqa: E402

PATH = "/api/v1/agenda"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def parse_wrk(out: str) -> dict[str, Any]:
    def ms(text: str) -> float:
        value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
        return float(value) * _UNITS[unit]

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = {
        p: ms(m.group(1))
        for p in ("50", "99")
        if (m := re.search(rf"^\s+{p}%\s+(\S+)", out, re.MULTILINE))
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "requests_per_second": rps,
        "requests": int(total.group(1)) if total else None,
        "latency_ms": {"p50": latency.get("50"), "p99": latency.get("99")},
        "non_2xx_3xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sockets.group(1) if sockets else None,
    }


async def run_wrk(
    url: str, pid: int, args: argparse.Namespace, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    argv = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s", "--latency", url]
    for name, value in (headers or {}).items():
        argv[1:1] = ["-H", f"{name}: {value}"]
    # A short warm-up (first render, JIT-less but caches and connections), then the run.
    warm = [*argv[:-1], url]
    warm[warm.index(f"-d{args.seconds}s")] = "-d2s"
    await asyncio.to_thread(subprocess.run, pinned(args.load_core, warm), capture_output=True)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    done = await asyncio.to_thread(
        subprocess.run, pinned(args.load_core, argv), capture_output=True, text=True, check=True
    )
    cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - t0
    result = parse_wrk(done.stdout)
    result["server_cpu_share"] = cpu / wall
    n = result["requests"] or 0
    result["server_cpu_us_per_request"] = cpu * 1e6 / n if n else None
    result["wrk"] = done.stdout
    return result


async def forumlive_rows(args: argparse.Namespace, work: Path) -> tuple[dict[str, Any], bytes, str]:
    rows: dict[str, Any] = {}
    body, etag = b"", ""
    forumlive = shutil.which("forumlive") or str(Path(sys.executable).with_name("forumlive"))
    for level in ("WARNING", "INFO"):
        data = work / f"forumlive-{level}"
        port = free_port()
        env = {**os.environ, "FORUMLIVE_LOG_LEVEL": level}
        argv = [
            forumlive, "serve", "--demo", "--no-scheduler", "--port", str(port),
            "--data-dir", str(data),
        ]  # fmt: skip
        proc = spawn(pinned(args.server_core, argv), work / f"forumlive-{level}.log", env)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_http(base + "/healthz", proc, within=180)
            import aiohttp

            async with aiohttp.ClientSession() as http, http.get(base + PATH) as r:
                assert r.status == 200, await r.text()
                body, etag = await r.read(), r.headers["ETag"]
            if level == "WARNING":
                rows["forumlive 200"] = await run_wrk(base + PATH, proc.pid, args)
                rows["forumlive 304"] = await run_wrk(
                    base + PATH, proc.pid, args, {"If-None-Match": etag}
                )
            else:
                rows["forumlive 200, access log at INFO"] = await run_wrk(
                    base + PATH, proc.pid, args
                )
        finally:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(20)
            if proc.poll() is None:
                proc.kill()
    return rows, body, etag


async def reference_row(
    args: argparse.Namespace, work: Path, body: bytes, etag: str
) -> dict[str, Any]:
    file = work / "agenda.json"
    file.write_bytes(body)
    port = free_port()
    argv = ["node", str(HERE / "agenda_reference.mjs"), str(port), str(file), etag]
    proc = spawn(pinned(args.server_core, argv), work / "reference.log")
    try:
        url = f"http://127.0.0.1:{port}{PATH}"
        await wait_http(url, proc)
        return await run_wrk(url, proc.pid, args)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(20)
        if proc.poll() is None:
            proc.kill()


def version(argv: list[str]) -> str:
    return subprocess.run(argv, capture_output=True, text=True).stdout


def table(rows: dict[str, dict[str, Any]], size: int) -> str:
    ref = rows["reference 200"]["requests_per_second"]
    lines = [
        f"GET {PATH}: {size:,} bytes, keep-alive",
        f"{'row':36} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/req':>11} {'vs ref':>7}",
    ]
    for name, r in rows.items():
        lat = r["latency_ms"]
        cpu = r["server_cpu_us_per_request"]
        lines.append(
            f"{name:36} {r['requests_per_second']:10.0f} {lat['p50'] or 0:8.2f}"
            f" {lat['p99'] or 0:8.2f} {cpu or 0:11.1f} {r['requests_per_second'] / ref:7.2f}"
        )
    return "\n".join(lines)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--load-core", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    started = datetime.now(UTC)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="agenda-") as tmp:
        rows, body, etag = await forumlive_rows(args, Path(tmp))
        rows["reference 200"] = await reference_row(args, Path(tmp), body, etag)
    print(table(rows, len(body)))
    node = (await asyncio.to_thread(version, ["node", "--version"])).strip()
    report = {
        "bench": "agenda",
        "started_at": started.isoformat(),
        "command": " ".join(["python", "bench/agenda_bench.py", *sys.argv[1:]]),
        "machine": {
            "cores": os.cpu_count(),
            "loadavg_at_start": load_start,
            "loadavg_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "node": node,
        },
        "body_bytes": len(body),
        "rows": rows,
        "ratios": {
            name: r["requests_per_second"] / rows["reference 200"]["requests_per_second"]
            for name, r in rows.items()
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"agenda-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
