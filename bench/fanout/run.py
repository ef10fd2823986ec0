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

Broadcast engine (issue 11) options, each a setting of the forumlive target:
``--engine frame|sio`` (FORUMLIVE_LIVE_ENGINE), ``--coalesce-ms`` /
``--coalesce-min-clients`` (0 ms: off), ``--client-deflate on|off`` (the clients offer
permessage-deflate as browsers do, or not; both targets), ``--gc``/``--uvloop on|off``.
Modes: ``--search`` finds the highest delivered msgs/s whose p99 stays within
``--p99-limit`` ms with nothing lost (steps of ``--search-seconds`` on one set of
connections: ×1.6 until a step fails twice in a row, then bisection); ``--overload-capacity D``
offers 3×D deliveries/s for ``--seconds`` with resuming receivers and samples the
server's memory throughout (bounded?), counting slow consumers cut and losses among
the receivers that were never cut.

    python bench/fanout/run.py --clients 1000 --search
    python bench/fanout/run.py --clients 1000 --search --coalesce-ms 25 --targets forumlive
    python bench/fanout/run.py --clients 1000 --overload-capacity 60000 --seconds 10
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


def engine_env(args: argparse.Namespace) -> dict[str, str]:
    """The broadcast-engine settings a run asks for (unset: the server's defaults)."""
    env = {"FORUMLIVE_LIVE_ENGINE": args.engine}
    if args.coalesce_ms is not None:
        env["FORUMLIVE_LIVE_COALESCE_MS"] = str(args.coalesce_ms)
    if args.coalesce_min_clients is not None:
        env["FORUMLIVE_LIVE_COALESCE_MIN_CLIENTS"] = str(args.coalesce_min_clients)
    if args.gc is not None:
        env["FORUMLIVE_GC_TUNING"] = "true" if args.gc == "on" else "false"
    if args.uvloop is not None:
        env["FORUMLIVE_UVLOOP"] = "true" if args.uvloop == "on" else "false"
    if args.search or args.overload_capacity:
        # Search and overload publish far above the default rate: let the publisher.
        rate = 100_000
        env.update(
            FORUMLIVE_LIVE_CHAT_RATE_PER_SECOND=str(rate),
            FORUMLIVE_LIVE_CHAT_BURST=str(rate),
            FORUMLIVE_LIVE_EVENTS_PER_SECOND=str(rate),
            FORUMLIVE_LIVE_EVENTS_BURST=str(rate),
        )
    return env


class Search:
    """Picks the next step's rate: ×1.6 while steps pass, then bisects the last interval.

    A step that misses is run once more at the same rate and fails only if the retry
    misses too: on a shared machine one stall of the whole process (100+ ms) puts every
    receiver of one message into the slowest percent, whatever the server does.
    """

    def __init__(self, n: int, args: argparse.Namespace) -> None:
        self.n = n
        self.args = args
        self.rate = args.search_start
        self.good: float | None = None  # highest passing rate (msgs/s)
        self.bad: float | None = None  # lowest failing rate
        self.steps: list[dict[str, Any]] = []
        self._retry = False  # the last step missed once: run it again

    def passed(self, step: dict[str, Any]) -> bool:
        p99 = step["latency_ms"]["p99"]
        return (
            p99 is not None
            and p99 <= self.args.p99_limit
            and step["lost"] == 0
            and step["refused"] == 0
            and step["unanswered"] == 0
            and step["acked"] > 0
        )

    def next(self) -> str:
        if len(self.steps) >= self.args.search_steps:
            return "done"
        if self._retry:
            return f"{self.rate:.3f} {self.args.search_seconds}"
        if self.steps:
            if self.bad is None:
                self.rate = self.rate * 1.6
            elif self.good is None:
                self.rate = self.bad / 2
                if self.rate < 0.5:
                    return "done"
            else:
                if self.bad / self.good < 1.12:
                    return "done"
                self.rate = (self.good + self.bad) / 2
        return f"{self.rate:.3f} {self.args.search_seconds}"

    def feed(self, step: dict[str, Any]) -> None:
        step["passed"] = self.passed(step)
        rate = step["rate"]
        retried, self._retry = self._retry, False
        step["retry"] = retried
        self.steps.append(step)
        if step["passed"]:
            self.good = max(self.good or 0.0, rate)
        elif not retried:
            self._retry = True  # once more before calling it a failure
        else:
            self.bad = rate if self.bad is None else min(self.bad, rate)

    def best(self) -> dict[str, Any] | None:
        passing = [s for s in self.steps if s["passed"]]
        return max(passing, key=lambda s: s["delivered_per_second"]) if passing else None


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
            **engine_env(args),
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


def server_figures(
    samples: dict[str, dict[str, float]], delivered: int, peak_rss: float
) -> dict[str, Any]:
    cpu = samples["PUBLISH_END"]["cpu"] - samples["PUBLISH_START"]["cpu"]
    wall = samples["PUBLISH_END"]["t"] - samples["PUBLISH_START"]["t"]
    return {
        "cpu_seconds_publishing": cpu,
        "cpu_share_publishing": cpu / wall if wall else None,
        "cpu_us_per_delivery": cpu * 1e6 / delivered if delivered else None,
        "rss_publishing_peak_bytes": peak_rss,
    }


async def drive(target: Target, n: int, args: argparse.Namespace) -> dict[str, Any]:
    overload = bool(args.overload_capacity)
    rate = 3 * args.overload_capacity / n if overload else args.rate
    argv = [
        "node", str(HERE / "loadgen.js"), "--url", target.url, "--clients", str(n),
        "--rate", str(rate), "--seconds", str(args.seconds), "--size", str(args.size),
        "--inflight", str(args.inflight), "--drain-timeout", str(args.drain_timeout),
        "--stall", str(args.stall), "--resume", "1" if args.resume or overload else "0",
        "--deflate", "1" if args.client_deflate == "on" else "0",
        "--steps", "1" if args.search else "0",
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
    search = Search(n, args) if args.search else None
    peak = {"rss": 0.0}
    sampler: asyncio.Task[None] | None = None

    async def sample_rss() -> None:  # the server's memory while it publishes (overload)
        while True:
            with contextlib.suppress(OSError, RuntimeError):
                peak["rss"] = max(peak["rss"], rss_bytes(pid))
            await asyncio.sleep(0.25)

    async def reply(text: str) -> None:
        assert gen.stdin is not None
        gen.stdin.write(text.encode() + b"\n")
        await gen.stdin.drain()

    deadline = time.monotonic() + args.timeout
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                gen.kill()
                raise RuntimeError(f"{target.name} at N={n}: the run exceeded {args.timeout} s")
            line = (await asyncio.wait_for(gen.stdout.readline(), left)).decode().strip()
            if not line:
                break
            if line in MARKERS:
                samples[line] = {
                    "cpu": cpu_seconds(pid),
                    "rss": rss_bytes(pid),
                    "t": time.monotonic(),
                }
                if line == "PUBLISH_START":
                    peak["rss"] = samples[line]["rss"]
                    sampler = asyncio.create_task(sample_rss())
                elif line == "PUBLISH_END" and sampler is not None:
                    sampler.cancel()
                    sampler = None
                await reply("go")
            elif line == "STEP?":
                assert search is not None
                await reply(search.next())
            elif line.startswith("STEP_RESULT "):
                assert search is not None
                step = json.loads(line[len("STEP_RESULT ") :])
                step["server"] = server_figures(samples, step["delivered"], peak["rss"])
                search.feed(step)
                print(
                    f"   step {step['rate']:8.1f} msg/s: {step['delivered_per_second']:9.0f}"
                    f" deliveries/s, p99 {step['latency_ms']['p99'] or 0:8.1f} ms,"
                    f" lost {step['lost']}, server CPU"
                    f" {100 * (step['server']['cpu_share_publishing'] or 0):3.0f}%"
                    f" -> {'pass' if step['passed'] else 'FAIL'}",
                    flush=True,
                )
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
    finally:
        if sampler is not None:
            sampler.cancel()
    stderr = (await gen.stderr.read()).decode() if gen.stderr else ""
    await gen.wait()
    if result is None:
        raise RuntimeError(f"{target.name} at N={n}: no result\n{stderr[-2000:]}")
    memory = samples["CONNECTED"]["rss"] - samples["WARM"]["rss"]
    connected = {
        "rss_connected_bytes": samples["CONNECTED"]["rss"],
        "memory_per_client_bytes": memory / max(1, result["connected"]),
    }
    if search is not None:
        result["steps"] = search.steps
        best = search.best()
        result["best"] = best
        result["delivered"] = best["delivered"] if best else 0
        result["delivered_per_second"] = best["delivered_per_second"] if best else None
        result["latency_ms"] = best["latency_ms"] if best else {}
        result["server"] = {**(best["server"] if best else {}), **connected}
    else:
        result["server"] = {
            **server_figures(samples, result["delivered"], peak["rss"]),
            **connected,
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
            lines.append(summary(name, r))
    return "\n".join(lines)


def summary(name: str, r: dict[str, Any]) -> str:
    if "steps" in r:  # --search
        best = r.get("best")
        if best is None:
            return f"{name}: no step met p99 and no-loss ({len(r['steps'])} steps)"
        return (
            f"{name}: best step {best['rate']:.1f} msg/s -> "
            f"{best['delivered_per_second']:.0f} deliveries/s at p99 "
            f"{best['latency_ms']['p99']:.1f} ms, nothing lost; server CPU "
            f"{100 * (best['server']['cpu_share_publishing'] or 0):.0f}% of a core; "
            f"{len(r['steps'])} steps"
        )
    line = (
        f"{name}: delivered/offered {r['delivered']}/{r['offered_deliveries']}"
        f" (lost {r['lost']}, duplicates {r['duplicates']}; acked {r['acked']}"
        f"/{r['sent']} sends), receivers dropped {r['receivers_disconnected']}, "
        f"resumed {r['reconnects']}; "
        f"server CPU {100 * (r['server']['cpu_share_publishing'] or 0):.0f}% of a core"
    )
    if r.get("resume"):
        peak = r["server"].get("rss_publishing_peak_bytes") or 0
        line += (
            f"; receivers never cut {r['receivers_kept']} (lost among them {r['lost_kept']});"
            f" server RSS connected {r['server']['rss_connected_bytes'] / 2**20:.0f} MiB,"
            f" peak while publishing {peak / 2**20:.0f} MiB"
        )
    return line


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
    parser.add_argument("--engine", choices=("frame", "sio"), default="frame")
    parser.add_argument("--coalesce-ms", type=float, help="0: off (default: the server's)")
    parser.add_argument("--coalesce-min-clients", type=int)
    parser.add_argument("--client-deflate", choices=("on", "off"), default="on")
    parser.add_argument("--gc", choices=("on", "off"), help="GC tuning (default: the server's)")
    parser.add_argument("--uvloop", choices=("on", "off"), help="(default: the server's)")
    parser.add_argument("--search", action="store_true", help="max deliveries/s within p99")
    parser.add_argument("--search-start", type=float, default=10.0, help="first step msgs/s")
    parser.add_argument("--search-seconds", type=float, default=5.0)
    parser.add_argument("--search-steps", type=int, default=16)
    parser.add_argument("--p99-limit", type=float, default=100.0, help="ms")
    parser.add_argument(
        "--overload-capacity",
        type=float,
        help="deliveries/s the server carries: offer 3x that with resuming receivers",
    )
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
                mode = (
                    "max-throughput search"
                    if args.search
                    else f"overload 3x{args.overload_capacity:.0f} deliveries/s"
                    if args.overload_capacity
                    else f"{args.rate} msg/s"
                )
                print(f"-- {name}, N={n}, {mode} for {args.seconds} s", flush=True)
                try:
                    await target.start(n, args, Path(tmp))
                    runs[n][name] = await drive(target, n, args)
                except Exception as exc:  # record it, and still run (and write) the rest
                    report.setdefault("failures", []).append(f"{name} N={n}: {exc}")
                    print(f"   FAILED: {exc}", flush=True)
                    continue
                finally:
                    target.stop()
                print("   " + summary(name, runs[n][name]), flush=True)
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
