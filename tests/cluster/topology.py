"""The compose topology on loopback: nginx, two web nodes, two schedulers, Redis, PostgreSQL.

Everything is a real process started the way compose starts it (a one-shot
``forumlive migrate``, ``forumlive serve --no-scheduler`` nodes,
``forumlive scheduler --health-port`` processes), with two differences forced
by having no Docker engine: services listen on free loopback ports, and nginx
runs the repository's ``deploy/nginx.conf`` rewritten for those ports
(``loopback_nginx_conf``). The web nodes reach PostgreSQL through a TCP proxy
the tests control (``PgProxy``), so "PostgreSQL unreachable" can be staged
without touching the shared server.

Tests break things (SIGKILL a node, kill Redis, cut the proxy); ``heal()``
puts back whatever is missing, so each test starts from a whole cluster.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.scheduler.support import PG_URL, Process, Server, drop_pg_database, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_NGINX = ROOT / "deploy" / "nginx.conf"
SECRET = "cluster-secret-" + uuid.uuid4().hex  # every node must share it (sealed signing keys)
LEASE_SECONDS = 2.0
SHUTDOWN_TIMEOUT = 10.0

# On top of tests.scheduler.support.FAST (lobby 2 s ahead, lease 2 s, no reminders).
CLUSTER_ENV = {
    "FORUMLIVE_AUTO_MIGRATE": "false",  # the one-shot migrate did it, as in compose
    "FORUMLIVE_LOG_FORMAT": "json",
    "FORUMLIVE_SECRET_KEY": SECRET,
    "FORUMLIVE_SCHEDULER_LEASE_SECONDS": str(LEASE_SECONDS),
    "FORUMLIVE_SHUTDOWN_TIMEOUT": str(SHUTDOWN_TIMEOUT),
    # Bans and revocations re-read from the database this often (the net under pub/sub).
    "FORUMLIVE_TOKEN_REFRESH_SECONDS": "1",
    "FORUMLIVE_LIVE_NODE_TTL_SECONDS": "3",
    # Several clients chat at once from one test: the limits are not under test here.
    "FORUMLIVE_LIVE_CHAT_RATE_PER_SECOND": "100",
    "FORUMLIVE_LIVE_CHAT_BURST": "100",
    "FORUMLIVE_JOIN_RATE_PER_MINUTE": "600",
    "FORUMLIVE_TRUSTED_PROXIES": '["127.0.0.1/32"]',  # nginx, as the compose network is
}


def http_get(url: str, timeout: float = 3) -> tuple[int, bytes]:
    """A blocking GET (fixtures run outside any event loop); (status, body), 0 if refused."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, TimeoutError):
        return 0, b""


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def metric_samples(exposition: bytes | str, name: str) -> list[tuple[dict[str, str], float]]:
    """Every sample called ``name`` in a Prometheus text exposition, with its labels."""
    text_ = exposition.decode() if isinstance(exposition, bytes) else exposition
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text_)
        for sample in family.samples
        if sample.name == name
    ]


# -- nginx ----------------------------------------------------------------------------


def loopback_nginx_conf(
    deploy: str, upstream_ports: list[int], listen_port: int, prefix: Path
) -> str:
    """``deploy/nginx.conf`` with loopback upstreams, as a complete nginx.conf.

    The compose config relies on Docker's DNS (``resolver``, ``server server:8080
    resolve``); Debian's nginx 1.22 has no ``resolve`` and there is no DNS name here,
    so those two lines become one plain ``server`` line per node, keeping every
    parameter. Everything else — locations, upgrade headers, timeouts, retries — is
    the file compose mounts, unchanged.
    """
    lines = deploy.splitlines()
    resolvers = [i for i, line in enumerate(lines) if re.match(r"\s*resolver\s", line)]
    assert len(resolvers) == 1, "deploy/nginx.conf should have exactly one resolver line"
    upstream = re.compile(r"^(\s*)server\s+server:8080\s+resolve(\s+[^;]*)?;\s*$")
    listen = re.compile(r"^(\s*)listen\s+80;\s*$")
    out: list[str] = []
    replaced = {"upstream": 0, "listen": 0}
    for i, line in enumerate(lines):
        if i in resolvers:
            continue
        if m := upstream.match(line):
            indent, params = m.group(1), (m.group(2) or "")
            out += [f"{indent}server 127.0.0.1:{port}{params};" for port in upstream_ports]
            replaced["upstream"] += 1
        elif m := listen.match(line):
            out.append(f"{m.group(1)}listen 127.0.0.1:{listen_port};")
            replaced["listen"] += 1
        else:
            out.append(line)
    assert replaced == {"upstream": 1, "listen": 1}, f"deploy/nginx.conf changed shape: {replaced}"
    body = "\n".join("    " + line if line else "" for line in out)
    user = "user root;\n" if os.geteuid() == 0 else ""  # else workers become nobody: no tmp access
    return (
        f"{user}worker_processes 1;\n"
        f"pid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log notice;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        f"    access_log {prefix}/access.log;\n"
        f"    client_body_temp_path {prefix}/client_body;\n"
        f"    proxy_temp_path {prefix}/proxy;\n"
        f"    fastcgi_temp_path {prefix}/fastcgi;\n"
        f"    uwsgi_temp_path {prefix}/uwsgi;\n"
        f"    scgi_temp_path {prefix}/scgi;\n"
        f"{body}\n"
        "}\n"
    )


class Nginx:
    def __init__(self, root: Path, upstream_ports: list[int]) -> None:
        self.prefix = root / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            loopback_nginx_conf(DEPLOY_NGINX.read_text(), upstream_ports, self.port, self.prefix)
        )
        self._log = (self.prefix / "stderr.log").open("ab")
        self.proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-p", str(self.prefix), "-g", "daemon off;"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._listening, 20, "nginx to listen")

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError("nginx exited:\n" + (self.prefix / "stderr.log").read_text())
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2):
            return True
        return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# -- Redis ----------------------------------------------------------------------------


class OwnedRedis:
    """A redis-server of ours that tests may SIGKILL and start again on the same port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._pong, 10, "redis-server to answer", every=0.05)

    def _pong(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as c:
                c.sendall(b"PING\r\n")
                return c.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """The machine dies: no save (there is none), no goodbye to clients."""
        if self.alive():
            assert self.proc is not None
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# -- a TCP proxy in front of PostgreSQL ------------------------------------------------------


class PgProxy:
    """Loopback TCP proxy to PostgreSQL, in a thread of its own (its own event loop), so it
    forwards while the test's loop is busy or between tests. ``cut()`` refuses new
    connections and resets the open ones — PostgreSQL gone, as the nodes see it;
    ``restore()`` listens again on the same port. ``delay`` (seconds) holds every
    query on its way to PostgreSQL: a slow database, for requests kept in flight."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self.delay = 0.0
        self.restore()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _pipe(
        self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, upstream: bool
    ) -> None:
        try:
            while data := await src.read(65536):
                if upstream and self.delay:
                    await asyncio.sleep(self.delay)
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            dst.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False)
            )
        finally:
            self._open -= {writer, up_writer}

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    def restore(self) -> None:
        if self._server is None:
            self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    def url(self, database_url: str) -> str:
        """``database_url`` with its host and port replaced by the proxy's."""
        head, _, tail = database_url.partition("@")
        _hostport, _, dbname = tail.partition("/")
        return f"{head}@127.0.0.1:{self.port}/{dbname}"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


# -- forumlive processes ---------------------------------------------------------------------


class Node(Server):
    """``forumlive serve --no-scheduler`` on a fixed port (nginx's upstream), restartable."""

    def __init__(
        self, name: str, port: int, database_url: str, root: Path, env: dict[str, str]
    ) -> None:
        self.name = name
        self.fixed_port = port
        super().__init__(database_url, root / name, env, scheduler=False)

    def _launch(self) -> None:
        database_url, data_dir, env, _ = self._spec
        self.port = self.fixed_port
        self.url = f"http://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = ["serve", "--no-scheduler", "--port", str(self.port), "--data-dir", str(data_dir)]
        args += ["--database-url", database_url]
        Process.__init__(self, args, env, data_dir / f"serve-{uuid.uuid4().hex[:6]}.log")

    def ready_now(self) -> bool:
        if not self.alive():
            raise AssertionError(f"node {self.name} exited:\n{self.log()}")
        return http_get(self.url + "/readyz", timeout=2)[0] == 200

    def metrics(self) -> bytes:
        status, body = http_get(self.url + "/metrics")
        assert status == 200, f"/metrics of {self.name}: {status}"
        return body

    def clients_in(self, session_id: int) -> int:
        samples = metric_samples(self.metrics(), "forumlive_live_clients")
        return int(sum(v for labels, v in samples if labels.get("room") == str(session_id)))

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self.proc.wait(10)


class Scheduler(Process):
    """``forumlive scheduler --health-port N``, as the compose service runs it."""

    def __init__(self, database_url: str, root: Path, env: dict[str, str]) -> None:
        self.health_port = free_port()
        data_dir = root / "schedulers"
        data_dir.mkdir(parents=True, exist_ok=True)
        args = ["scheduler", "--health-port", str(self.health_port), "--data-dir", str(data_dir)]
        args += ["--database-url", database_url]
        super().__init__(args, env, data_dir / f"scheduler-{uuid.uuid4().hex[:6]}.log")
        self.health_url = f"http://127.0.0.1:{self.health_port}"

    def health(self) -> dict[str, Any] | None:
        status, body = http_get(self.health_url + "/healthz", timeout=2)
        return json.loads(body) if status == 200 else None

    def metrics(self) -> bytes:
        status, body = http_get(self.health_url + "/metrics")
        assert status == 200, f"scheduler /metrics: {status}"
        return body

    def kill_now(self) -> None:
        self.signal(signal.SIGKILL)
        self.proc.wait(10)

    def leader_gauge(self) -> float:
        [(_, value)] = metric_samples(self.metrics(), "forumlive_scheduler_leader")
        return value


# -- the whole topology ----------------------------------------------------------------------


async def _create_empty_database() -> str:
    name = f"forumlive_cluster_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + name


class Topology:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.db_url = asyncio.run(_create_empty_database())  # direct: tests and schedulers
        self.redis = OwnedRedis(root)
        host, port = re.search(r"@([^:/]+):(\d+)/", self.db_url).groups()  # type: ignore[union-attr]
        self.pg_proxy = PgProxy(host, int(port))
        self.node_db_url = self.pg_proxy.url(self.db_url)  # the web nodes go through the proxy
        self.env = {**CLUSTER_ENV, "FORUMLIVE_REDIS_URL": self.redis.url}
        self.nodes: list[Node] = []
        self.schedulers: list[Scheduler] = []
        self.nginx: Nginx | None = None
        try:
            self._migrate()
            ports = [free_port(), free_port()]
            self.nginx = Nginx(root, ports)
            self.env["FORUMLIVE_PUBLIC_URL"] = self.nginx.url
            self.nodes = [
                Node(f"node-{c}", p, self.node_db_url, root, self.env)
                for c, p in zip("ab", ports, strict=True)
            ]
            self.schedulers = [Scheduler(self.db_url, root, self.env) for _ in range(2)]
            self.wait_whole()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    def _migrate(self) -> None:
        """The compose ``migrate`` service: one process, exit 0, then the others start."""
        migrate = Process(
            ["migrate", "--database-url", self.db_url, "--data-dir", str(self.root / "migrate")],
            self.env,
            self.root / "migrate.log",
        )
        try:
            code = migrate.proc.wait(120)
        finally:
            migrate.stop()
        assert code == 0, f"forumlive migrate failed:\n{migrate.log()}"

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def leader(self) -> Scheduler | None:
        leaders = [s for s in self.schedulers if s.alive() and (s.health() or {}).get("leader")]
        assert len(leaders) <= 1, "two schedulers say they lead"
        return leaders[0] if leaders else None

    def _nginx_reaches_every_node(self) -> bool:
        """nginx sends requests to each node again (a node that just failed is skipped for
        its ``fail_timeout``): counted by each node's own request metric."""

        def served() -> list[float]:
            return [
                sum(
                    v
                    for labels, v in metric_samples(n.metrics(), "forumlive_http_requests_total")
                    if labels.get("route") == "/readyz"
                )
                for n in self.nodes
            ]

        before = served()
        for _ in range(2 * len(self.nodes)):
            if http_get(self.url + "/readyz")[0] != 200:
                return False
        return all(after > was for after, was in zip(served(), before, strict=True))

    def wait_whole(self, timeout: float = 90) -> None:
        wait_for(lambda: all(n.ready_now() for n in self.nodes), timeout, "both nodes ready")
        wait_for(self._nginx_reaches_every_node, 20, "nginx to reach every node", every=0.5)
        wait_for(lambda: all(s.health() for s in self.schedulers if s.alive()), timeout,
                 "the schedulers' health ports")  # fmt: skip
        wait_for(self.leader, timeout, "a scheduler leader")

    def heal(self) -> None:
        """Whatever a test broke, put back (same ports): then wait until all is ready."""
        self.pg_proxy.restore()
        if not self.redis.alive():
            self.redis.start()
        for i, node in enumerate(self.nodes):
            if not node.alive():
                node.stop()
                self.nodes[i] = Node(
                    node.name, node.fixed_port, self.node_db_url, self.root, self.env
                )
        for s in [s for s in self.schedulers if not s.alive()]:
            s.stop()
            self.schedulers.remove(s)
        while len(self.schedulers) < 2:
            self.schedulers.append(Scheduler(self.db_url, self.root, self.env))
        self.wait_whole()

    def close(self) -> None:
        processes = [*self.schedulers, *self.nodes]
        for proc in processes:  # all at once, then wait for each
            proc.signal(signal.SIGTERM)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.stop()
        if self.nginx is not None:
            self.nginx.stop()
        self.redis.stop()
        self.pg_proxy.close()
        asyncio.run(drop_pg_database(self.db_url))
