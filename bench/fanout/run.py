"""Fan-out bench: one room, N clients, a publisher at a fixed rate — forumlive beside Node.

For each N (default 1,000 and 5,000) and each target (forumlive, then the reference: a
minimal Node.js server on npm socket.io 4.8 doing the same broadcast), this starts the
server pinned to one core (taskset), runs the load generator (official socket.io-client
under node, its own process, pinned to another core) and measures:

- delivered messages per second, delivered/offered, lost and duplicated deliveries
  ("lost": not arrived when deliveries had stopped for ``--stall`` seconds after
  publishing, or after ``--drain-timeout``: a slow server is waited for, not failed);
- p50/p99 send-to-receive latency (sender and receivers share the generator's clock);
- server CPU microseconds per delivery (utime+stime from /proc/<pid>/stat over the
  publishing phase, drain included);
- server memory per connected client (VmRSS delta over connecting N, divided by N);
- connect time for all N (connect + room:welcome, ``--inflight`` at a time).

Everything runs on 127.0.0.1, bounded in count and time, and stops by itself. Prints a
table with forumlive/reference ratios and writes JSON to bench/results/.

    python bench/fanout/run.py                      # N = 1000 and 5000, 5 msg/s, 20 s
    python bench/fanout/run.py --clients 1000 --rate 20 --seconds 10
    python bench/fanout/run.py --clients 5000 --resume   # receivers resume like browsers
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout.mint import mint  # noqa: E402  (after the path fix above)
from server.settings import Settings  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
MARKERS = ("WARM", "CONNECTED", "PUBLISH_START", "PUBLISH_END")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def pinned(core: int | None, argv: list[str]) -> list[str]:
    if core is None or shutil.which("taskset") is None:
        return argv
    return ["taskset", "-c", str(core), *argv]


def ensure_node_modules() -> None:
    if not (HERE / "node_modules" / "socket.io").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True)


def spawn(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """A server process whose output goes to ``log`` (the runs' temporary directory)."""
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


async def wait_http(url: str, proc: subprocess.Popen[bytes], within: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer in {within} s")
            await asyncio.sleep(0.2)


class Target:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    tokens_file: Path | None = None

    async def start(self, n: int, args: argparse.Namespace, work: Path) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Forumlive(Target):
    name = "forumlive"

    async def start(self, n: int, args: argparse.Namespace, work: Path) -> None:
        data = work / f"forumlive-{n}"
        data.mkdir()
        settings = Settings(data_dir=data)
        minted = await mint(settings, n)
        self.tokens_file = work / f"tokens-{n}.json"
        self.tokens_file.write_text(json.dumps(minted))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "FORUMLIVE_LOG_LEVEL": "WARNING",
            # The publisher must be allowed to send at the offered rate.
            "FORUMLIVE_LIVE_CHAT_RATE_PER_SECOND": str(max(args.rate * 2, 10)),
            "FORUMLIVE_LIVE_CHAT_BURST": str(max(int(args.rate * 2), 10)),
            "FORUMLIVE_LIVE_EVENTS_PER_SECOND": str(max(args.rate * 2, 20)),
            "FORUMLIVE_LIVE_EVENTS_BURST": str(max(int(args.rate * 2), 40)),
        }
        forumlive = shutil.which("forumlive") or str(Path(sys.executable).with_name("forumlive"))
        argv = [forumlive, "serve", "--no-scheduler", "--port", str(port), "--data-dir", str(data)]
        self.proc = spawn(pinned(args.server_core, argv), work / f"forumlive-{n}.log", env)
        await wait_http(self.url + "/healthz", self.proc)


class Reference(Target):
    name = "reference"

    async def start(self, n: int, args: argparse.Namespace, work: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        argv = ["node", str(HERE / "reference.js"), str(port)]
        self.proc = spawn(pinned(args.server_core, argv), work / f"reference-{n}.log")
        await wait_http(self.url + "/socket.io/?EIO=4&transport=polling", self.proc)


async def drive(target: Target, n: int, args: argparse.Namespace) -> dict[str, Any]:
    argv = [
        "node", str(HERE / "loadgen.js"), "--url", target.url, "--clients", str(n),
        "--rate", str(args.rate), "--seconds", str(args.seconds), "--size", str(args.size),
        "--inflight", str(args.inflight), "--drain-timeout", str(args.drain_timeout),
        "--stall", str(args.stall), "--resume", "1" if args.resume else "0",
    ]  # fmt: skip
    if target.tokens_file is not None:
        argv += ["--tokens", str(target.tokens_file)]
    gen = await asyncio.create_subprocess_exec(
        *pinned(args.load_core, argv),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert gen.stdin is not None and gen.stdout is not None
    pid = target.proc.pid
    samples: dict[str, dict[str, float]] = {}
    result: dict[str, Any] | None = None
    deadline = time.monotonic() + args.timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            gen.kill()
            raise RuntimeError(f"{target.name} at N={n}: the run exceeded {args.timeout} s")
        line = (await asyncio.wait_for(gen.stdout.readline(), left)).decode().strip()
        if not line:
            break
        if line in MARKERS:
            samples[line] = {"cpu": cpu_seconds(pid), "rss": rss_bytes(pid), "t": time.monotonic()}
            gen.stdin.write(b"go\n")
            await gen.stdin.drain()
        elif line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
    stderr = (await gen.stderr.read()).decode() if gen.stderr else ""
    await gen.wait()
    if result is None:
        raise RuntimeError(f"{target.name} at N={n}: no result\n{stderr[-2000:]}")
    cpu = samples["PUBLISH_END"]["cpu"] - samples["PUBLISH_START"]["cpu"]
    wall = samples["PUBLISH_END"]["t"] - samples["PUBLISH_START"]["t"]
    memory = samples["CONNECTED"]["rss"] - samples["WARM"]["rss"]
    result["server"] = {
        "cpu_seconds_publishing": cpu,
        "cpu_share_publishing": cpu / wall if wall else None,
        "cpu_us_per_delivery": cpu * 1e6 / result["delivered"] if result["delivered"] else None,
        "rss_connected_bytes": samples["CONNECTED"]["rss"],
        "memory_per_client_bytes": memory / max(1, result["connected"]),
    }
    if stderr.strip():
        result["loadgen_stderr_tail"] = stderr[-1000:]
    return result


RATIO_KEYS = (
    ("server CPU µs / delivery", ("server", "cpu_us_per_delivery")),
    ("delivered msgs/s", ("delivered_per_second",)),
    ("p50 latency ms", ("latency_ms", "p50")),
    ("p99 latency ms", ("latency_ms", "p99")),
    ("memory / client KiB", ("server", "memory_per_client_bytes")),
    ("connect all N s", ("connect_seconds",)),
)


def pick(result: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = result
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def table(runs: dict[int, dict[str, dict[str, Any]]]) -> str:
    lines = []
    for n, by_target in runs.items():
        ours, ref = by_target.get("forumlive"), by_target.get("reference")
        lines.append(f"\nN = {n} clients")
        lines.append(f"{'figure':28} {'forumlive':>12} {'reference':>12} {'ratio':>8}")
        for label, path in RATIO_KEYS:
            a = pick(ours, path) if ours else None
            b = pick(ref, path) if ref else None
            if label.startswith("memory") and a is not None:
                a = a / 1024
            if label.startswith("memory") and b is not None:
                b = b / 1024
            ratio = f"{a / b:8.2f}" if a is not None and b else "       -"
            fa = f"{a:12.1f}" if a is not None else f"{'-':>12}"
            fb = f"{b:12.1f}" if b is not None else f"{'-':>12}"
            lines.append(f"{label:28} {fa} {fb} {ratio}")
        for name, r in by_target.items():
            lines.append(
                f"{name}: delivered/offered {r['delivered']}/{r['offered_deliveries']}"
                f" (lost {r['lost']}, duplicates {r['duplicates']}; acked {r['acked']}"
                f"/{r['sent']} sends), receivers dropped {r['receivers_disconnected']}, "
                f"resumed {r['reconnects']}; "
                f"server CPU {100 * (r['server']['cpu_share_publishing'] or 0):.0f}% of a core"
            )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "loadavg_at_start": os.getloadavg(),
        "python": platform.python_version(),
        "node": node,
        "kernel": platform.release(),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--rate", type=float, default=5.0, help="published messages per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="publishing time")
    parser.add_argument("--size", type=int, default=100, help="chat text bytes")
    parser.add_argument("--inflight", type=int, default=50, help="concurrent connects")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="longest wait for late deliveries"
    )
    parser.add_argument("--stall", type=float, default=20.0, help="stop draining after s idle")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="receivers reconnect and resume with last_seq when dropped, as the web client does",
    )
    parser.add_argument("--timeout", type=float, default=1200.0, help="per run, hard limit")
    parser.add_argument("--targets", nargs="+", default=["forumlive", "reference"])
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--load-core", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    ensure_node_modules()
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "bench": "fanout",
        "started_at": started.isoformat(),
        "command": " ".join(["python", "bench/fanout/run.py", *sys.argv[1:]]),
        "machine": machine(),
        "params": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "runs": {},
    }
    runs: dict[int, dict[str, dict[str, Any]]] = {}
    classes = {"forumlive": Forumlive, "reference": Reference}
    with tempfile.TemporaryDirectory(prefix="fanout-") as tmp:
        for n in args.clients:
            runs[n] = {}
            for name in args.targets:
                target = classes[name]()
                print(f"-- {name}, N={n}, {args.rate} msg/s for {args.seconds} s", flush=True)
                try:
                    await target.start(n, args, Path(tmp))
                    runs[n][name] = await drive(target, n, args)
                except Exception as exc:  # record it, and still run (and write) the rest
                    report.setdefault("failures", []).append(f"{name} N={n}: {exc}")
                    print(f"   FAILED: {exc}", flush=True)
                    continue
                finally:
                    target.stop()
                r = runs[n][name]
                print(
                    f"   delivered {r['delivered']}/{r['offered_deliveries']}, "
                    f"p99 {r['latency_ms']['p99']:.1f} ms, "
                    f"{r['server']['cpu_us_per_delivery'] or 0:.1f} µs/delivery",
                    flush=True,
                )
    report["runs"] = {str(n): v for n, v in runs.items()}
    report["ratios"] = {
        str(n): {
            label: (
                pick(v["forumlive"], path) / pick(v["reference"], path)  # type: ignore[operator]
                if "forumlive" in v and "reference" in v and pick(v["reference"], path)
                else None
            )
            for label, path in RATIO_KEYS
        }
        for n, v in runs.items()
    }
    report["machine"]["loadavg_at_end"] = os.getloadavg()
    print(table(runs))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"fanout-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
