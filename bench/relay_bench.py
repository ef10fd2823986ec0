"""HLS relay: simulated viewers polling a live 2-second-segment playlist, beside nginx.

One run starts a real ``forumlive serve`` (embedded mode: SQLite, segments in
memory) and a Debian nginx serving a directory, and feeds both the same live
stream: a segment every 2 s (pre-encoded by ffmpeg: testsrc + sine, H.264/AAC
in MPEG-TS), pushed to forumlive through its ingest API (HTTP PUT with the
stream key, as ffmpeg would) and written to nginx's directory (atomic rename),
with a sliding 5-segment playlist.

Viewers run in a separate process (aiohttp client, one connection pool of up to
one connection per viewer). Each viewer behaves like hls.js at the live edge:
fetch the playlist, fetch each segment it has not fetched yet, wait a target
duration (2 s) when the playlist moved on, half of it when it did not. Against
forumlive the viewers use the signed playlist URL the session stream API hands
out (``?t=``; the relay verifies it and rewrites every playlist it serves);
against nginx the same paths, unauthenticated (nginx does no access control).

Two phases per server, one after the other so they never compete for the CPU:
- ``live``: the paced viewers above — is the server keeping up, and how fast;
- ``max``: the same viewers polling the playlist back to back and re-fetching the
  newest segment, no pause — throughput until something saturates (on a small
  machine the client process may be what saturates first: see the CPU column).

Requests per second, p50/p99 latency (request sent → whole body read) and errors
per server; ratio = forumlive / nginx. Prints a table, writes JSON to bench/results/.

  python bench/relay_bench.py [--viewers 1000] [--seconds 20] [--bitrate 600k]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
SEGMENT_SECONDS = 2
WINDOW = 5  # segments in the live playlist
SEGMENTS = 45  # pre-encoded: 90 s of video, looped if the run is longer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (nginx: the master and its workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return [pid, *children]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


# -- the stream -----------------------------------------------------------------------


def encode_segments(workdir: Path, bitrate: str) -> list[bytes]:
    out = workdir / "source"
    out.mkdir()
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
            "-f", "lavfi", "-i", "testsrc=size=854x480:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(SEGMENTS * SEGMENT_SECONDS), "-map", "0:v", "-map", "1:a",
            "-c:v", "libx264", "-preset", "veryfast", "-b:v", bitrate, "-maxrate", bitrate,
            "-bufsize", bitrate, "-g", "50", "-keyint_min", "50", "-sc_threshold", "0",
            "-c:a", "aac", "-b:a", "64k",
            "-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_list_size", "0",
            "-hls_segment_filename", str(out / "src%d.ts"), str(out / "src.m3u8"),
        ],
        check=True,
    )  # fmt: skip
    return [(out / f"src{i}.ts").read_bytes() for i in range(SEGMENTS)]


def live_playlist(first: int, last: int) -> bytes:
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
    ]
    for n in range(first, last + 1):
        lines += [f"#EXTINF:{SEGMENT_SECONDS:.6f},", f"index{n}.ts"]
    return ("\n".join(lines) + "\n").encode()


class Feeder:
    """Publishes segment n at t0 + 2n s to forumlive (ingest PUT) and to nginx's directory."""

    def __init__(self, segments: list[bytes], ingest: str, key: str, www: Path) -> None:
        self.segments = segments
        self.ingest = ingest
        self.key = key
        self.www = www
        self.n = 0

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.www / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.www / name)

    async def publish(self, http: aiohttp.ClientSession) -> None:
        n = self.n
        name, data = f"index{n}.ts", self.segments[n % len(self.segments)]
        playlist = live_playlist(max(0, n - WINDOW + 1), n)
        headers = {"Authorization": f"Bearer {self.key}"}
        for file, body in ((name, data), ("index.m3u8", playlist)):
            async with http.put(f"{self.ingest}/{file}", data=body, headers=headers) as r:
                if r.status != 204:
                    raise RuntimeError(f"ingest {file}: {r.status} {await r.text()}")
            await asyncio.to_thread(self._write, file, body)
        old = n - WINDOW - 2  # what ffmpeg's delete_segments would retire
        if old >= 0:
            async with http.delete(f"{self.ingest}/index{old}.ts", headers=headers):
                pass
            await asyncio.to_thread((self.www / f"index{old}.ts").unlink, True)
        self.n += 1

    async def run(self, http: aiohttp.ClientSession, t0: float) -> None:
        while True:
            await asyncio.sleep(max(0.0, t0 + self.n * SEGMENT_SECONDS - time.monotonic()))
            await self.publish(http)


# -- the servers ----------------------------------------------------------------------


NGINX_CONF = """
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
worker_rlimit_nofile 65536;
events {{ worker_connections 8192; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    keepalive_timeout 65;
    types {{
        application/vnd.apple.mpegurl m3u8;
        video/mp2t ts;
    }}
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location ~ \\.m3u8$ {{ add_header Cache-Control "private, no-cache"; }}
        location ~ \\.ts$ {{ add_header Cache-Control "private, max-age=60"; }}
    }}
}}
"""


def nginx_version() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()


def start_nginx(workdir: Path, www: Path) -> tuple[subprocess.Popen[bytes], int]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    prefix = workdir / "nginx"
    prefix.mkdir()
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, port=port, www=www))
    proc = subprocess.Popen(
        [nginx, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stderr=subprocess.DEVNULL,
    )
    return proc, port


def start_forumlive(workdir: Path) -> tuple[subprocess.Popen[bytes], int, dict[str, str]]:
    port = free_port()
    data = workdir / "forumlive"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
    env |= {
        "FORUMLIVE_LOG_LEVEL": "WARNING",
        "FORUMLIVE_STREAM_PLAYBACK_SECONDS": "3600",
        "FORUMLIVE_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    subprocess.run(
        ["forumlive", "create-organiser", "--data-dir", str(data), "--email",
         "bench@example.org", "--name", "Bench", "--password", "correct horse battery"],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    proc = subprocess.Popen(
        ["forumlive", "serve", "--port", str(port), "--data-dir", str(data), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "forumlive.log", "wb"),  # noqa: SIM115  (lives as long as the process)
        preexec_fn=raise_fd_limit,  # only raises this child's fd limit
    )
    return proc, port, env


async def wait_up(url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up")
            await asyncio.sleep(0.2)


async def setup_stream(base: str) -> tuple[str, str, str]:
    """Programme, relay room, session on air, stream key; returns (ingest base, key, playlist URL)."""
    async with aiohttp.ClientSession() as http:

        async def call(method: str, path: str, body: Any = None, token: str = "") -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.request(method, base + path, json=body, headers=headers) as r:
                if r.status >= 300:
                    raise RuntimeError(f"{method} {path}: {r.status} {await r.text()}")
                return await r.json()

        login = await call(
            "POST", "/api/v1/auth/login",
            {"email": "bench@example.org", "password": "correct horse battery"},
        )  # fmt: skip
        tok = login["token"]
        today = date.today()
        event = await call(
            "POST", "/api/v1/events",
            {"slug": f"bench-{uuid.uuid4().hex[:6]}", "name": "Bench", "timezone": "UTC",
             "final_start": (today - timedelta(days=1)).isoformat(),
             "final_end": (today + timedelta(days=1)).isoformat(), "languages": ["en"]},
            tok,
        )  # fmt: skip
        eid = event["id"]
        track = await call(
            "POST", "/api/v1/tracks", {"event_id": eid, "slug": "t", "name": "T"}, tok
        )
        stype = await call(
            "POST", "/api/v1/session-types",
            {"event_id": eid, "key": "plenary", "name": "Plenary", "default_duration_min": 60,
             "interactive": False, "default_capacity": None},
            tok,
        )  # fmt: skip
        room = await call(
            "POST", "/api/v1/rooms",
            {"event_id": eid, "slug": "plenary", "name": "Plenary", "capacity": 5000}, tok,
        )  # fmt: skip
        await call(
            "PUT", f"/api/v1/rooms/{room['id']}/stream",
            {"provider": "relay", "channels": [{"key": "floor", "label": "Floor"}]}, tok,
        )  # fmt: skip
        start = datetime.now(UTC) - timedelta(minutes=1)
        session = await call(
            "POST", "/api/v1/sessions",
            {"title": "Bench", "track_id": track["id"], "type_id": stype["id"],
             "room_id": room["id"], "start": start.isoformat(),
             "end": (start + timedelta(hours=2)).isoformat()},
            tok,
        )  # fmt: skip
        key = (await call("POST", f"/api/v1/rooms/{room['id']}/stream-key", None, tok))[
            "stream_key"
        ]
        join = await call("POST", f"/api/v1/sessions/{session['id']}/join", None, tok)
        info = await call("GET", f"/api/v1/sessions/{session['id']}/stream", None, join["token"])
        playlist = base + info["channels"][0]["url"]
        return f"{base}/ingest/{room['id']}/floor", key, playlist


# -- the viewers (a separate process) -------------------------------------------------


async def viewer(
    http: aiohttp.ClientSession,
    playlist_url: str,
    stop: float,
    paced: bool,
    samples: list[tuple[str, float, int, int]],
    delay: float,
) -> None:
    await asyncio.sleep(delay)
    base = playlist_url.split("?")[0].rsplit("/", 1)[0]
    fetched: set[str] = set()
    newest = ""

    async def get(url: str, kind: str) -> bytes:
        t = time.perf_counter()
        try:
            async with http.get(url) as r:
                body = await r.read()
                samples.append((kind, time.perf_counter() - t, r.status, len(body)))
                return body if r.status == 200 else b""
        except (aiohttp.ClientError, TimeoutError):
            samples.append((kind, time.perf_counter() - t, 0, 0))
            return b""

    while time.monotonic() < stop:
        text = (await get(playlist_url, "playlist")).decode(errors="replace")
        uris = [line for line in text.splitlines() if line and not line.startswith("#")]
        moved = bool(uris) and uris[-1] != newest
        if uris:
            newest = uris[-1]
            todo = [u for u in uris if u not in fetched] if fetched else uris[-1:]
            if not paced:
                todo = uris[-1:]
            for uri in todo:
                if time.monotonic() >= stop:
                    break
                await get(f"{base}/{uri}", "segment")
                fetched.add(uri)
        if paced:
            await asyncio.sleep(SEGMENT_SECONDS if moved else SEGMENT_SECONDS / 2)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run_viewers(
    playlist_url: str, viewers: int, seconds: float, paced: bool
) -> dict[str, Any]:
    raise_fd_limit()
    samples: list[tuple[str, float, int, int]] = []
    connector = aiohttp.TCPConnector(limit=viewers, limit_per_host=viewers, ttl_dns_cache=None)
    timeout = aiohttp.ClientTimeout(total=30)
    cpu0 = time.process_time()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        warmup = SEGMENT_SECONDS  # viewers join spread over one segment
        start = time.monotonic()
        stop = start + warmup + seconds
        tasks = [
            asyncio.create_task(
                viewer(http, playlist_url, stop, paced, samples, warmup * i / viewers)
            )
            for i in range(viewers)
        ]
        await asyncio.sleep(warmup)
        measured_from = len(samples)
        t0 = time.monotonic()
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    window = samples[measured_from:]
    lat = [s[1] for s in window]
    ok = [s for s in window if s[2] == 200]
    return {
        "viewers": viewers,
        "paced": paced,
        "seconds": round(elapsed, 2),
        "requests": len(window),
        "requests_per_s": round(len(window) / elapsed, 1),
        "errors": len(window) - len(ok),
        "p50_ms": round(percentile(lat, 50) * 1000, 2),
        "p99_ms": round(percentile(lat, 99) * 1000, 2),
        "playlist_p99_ms": round(
            percentile([s[1] for s in window if s[0] == "playlist"], 99) * 1000, 2
        ),
        "segment_p99_ms": round(
            percentile([s[1] for s in window if s[0] == "segment"], 99) * 1000, 2
        ),
        "mb_per_s": round(sum(s[3] for s in ok) / elapsed / 1e6, 1),
        "client_cpu_pct": round(100 * cpu / (elapsed + warmup), 0),
    }


def client_main(args: argparse.Namespace) -> None:
    result = asyncio.run(run_viewers(args.url, args.viewers, args.seconds, args.paced))
    print(json.dumps(result))


def measure(url: str, viewers: int, seconds: float, paced: bool) -> dict[str, Any]:
    cmd = [
        sys.executable, __file__, "--client", "--url", url,
        "--viewers", str(viewers), "--seconds", str(seconds),
    ] + (["--paced"] if paced else [])  # fmt: skip
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=seconds + 120, check=True
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


# -- the run --------------------------------------------------------------------------


async def orchestrate(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    procs: list[subprocess.Popen[bytes]] = []
    feeder_task: asyncio.Task[None] | None = None
    try:
        print(
            f"encoding {SEGMENTS} segments of {SEGMENT_SECONDS} s at {args.bitrate} …", flush=True
        )
        segments = encode_segments(workdir, args.bitrate)
        www = workdir / "www" / "hls"
        www.mkdir(parents=True)
        fl, fl_port, _env = start_forumlive(workdir)
        procs.append(fl)
        ngx, ngx_port = start_nginx(workdir, www.parent)
        procs.append(ngx)
        base = f"http://127.0.0.1:{fl_port}"
        await wait_up(base + "/healthz")
        await wait_up(f"http://127.0.0.1:{ngx_port}/")
        ingest, key, relay_playlist = await setup_stream(base)
        nginx_playlist = f"http://127.0.0.1:{ngx_port}/hls/index.m3u8"
        http = aiohttp.ClientSession()
        feeder = Feeder(segments, ingest, key, www)
        for _ in range(3):  # a live window to start from
            await feeder.publish(http)
        t0 = time.monotonic() - 3 * SEGMENT_SECONDS
        feeder_task = asyncio.create_task(feeder.run(http, t0))
        results: dict[str, dict[str, Any]] = {}
        servers = (
            ("forumlive", relay_playlist, process_tree(fl.pid)),
            ("nginx", nginx_playlist, process_tree(ngx.pid)),
        )
        for phase, paced in (("live", True), ("max", False)):
            for server, url, pids in servers:
                print(
                    f"{phase}: {args.viewers} viewers on {server} for {args.seconds} s …",
                    flush=True,
                )
                cpu0 = cpu_seconds(pids)
                result = await asyncio.to_thread(measure, url, args.viewers, args.seconds, paced)
                # Includes the viewers' join-in; forumlive's share includes the feeder's PUTs.
                cpu = cpu_seconds(pids) - cpu0
                span = result["seconds"] + SEGMENT_SECONDS
                result["server_cpu_pct"] = round(100 * cpu / span)
                result["server_cpu_us_per_request"] = round(
                    1e6 * cpu / max(1.0, result["requests_per_s"] * span)
                )
                results[f"{phase}/{server}"] = result
        feeder_task.cancel()
        await http.close()
        return {
            "bench": "relay",
            "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": {
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "loadavg_1m": round(os.getloadavg()[0], 2),
            },
            "nginx": nginx_version(),
            "stream": {
                "segment_seconds": SEGMENT_SECONDS,
                "window": WINDOW,
                "bitrate": args.bitrate,
                "mean_segment_bytes": sum(map(len, segments)) // len(segments),
            },
            "viewers": args.viewers,
            "seconds": args.seconds,
            "results": results,
        }
    finally:
        if feeder_task is not None:
            feeder_task.cancel()
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def table(report: dict[str, Any]) -> str:
    rows = [
        "| phase | server | req/s | p50 ms | p99 ms | playlist p99 | segment p99 | MB/s "
        "| errors | server CPU | server µs/req | client CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    res = report["results"]
    for phase in ("live", "max"):
        for server in ("forumlive", "nginx"):
            r = res[f"{phase}/{server}"]
            rows.append(
                f"| {phase} | {server} | {r['requests_per_s']:,} | {r['p50_ms']} | {r['p99_ms']} "
                f"| {r['playlist_p99_ms']} | {r['segment_p99_ms']} | {r['mb_per_s']} "
                f"| {r['errors']} | {r['server_cpu_pct']}% | {r['server_cpu_us_per_request']} "
                f"| {r['client_cpu_pct']:.0f}% |"
            )
        ours, theirs = res[f"{phase}/forumlive"], res[f"{phase}/nginx"]
        rps = ours["requests_per_s"] / theirs["requests_per_s"] if theirs["requests_per_s"] else 0
        p99 = ours["p99_ms"] / theirs["p99_ms"] if theirs["p99_ms"] else 0
        cost = ours["server_cpu_us_per_request"] / max(1, theirs["server_cpu_us_per_request"])
        rows.append(
            f"| {phase} | **ratio** | **{rps:.2f}×** | | **{p99:.2f}×** | | | | | | {cost:.1f}× | |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--bitrate", default="600k", help="video bitrate of the test stream")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "relay.json")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--paced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args)
        return
    for tool in ("ffmpeg", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            sys.exit(f"{tool} is needed: apt-get install {tool}")
    workdir = Path(tempfile.mkdtemp(prefix="relay-bench-"))
    workdir.chmod(0o755)  # nginx's workers (user nobody when started as root) must read it
    try:
        report = asyncio.run(orchestrate(args, workdir))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
