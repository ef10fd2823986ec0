"""The files a user deploys with (no Docker engine here): docker-compose.yml, the Dockerfile,
deploy/nginx.conf and .env.example, checked for what `docker compose up` relies on."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from setuptools import find_namespace_packages

from server.cli import _parser as cli_parser
from server.live.sio import make_sio
from server.settings import Settings
from tests.cluster.topology import ROOT, Nginx, http_get, loopback_nginx_conf
from tests.scheduler.support import free_port

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
NGINX = ROOT / "deploy" / "nginx.conf"
ENV_EXAMPLE = ROOT / ".env.example"
CONDITIONS = {"service_healthy", "service_completed_successfully"}
SETTINGS_VARS = {f"FORUMLIVE_{name.upper()}" for name in Settings.model_fields}
# Read by compose itself (interpolation), not by forumlive.
COMPOSE_ONLY = {"FORUMLIVE_HTTP_PORT", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def _seconds(duration: str) -> float:
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", duration):
        total += float(amount) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def _probe(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


# -- docker-compose.yml -------------------------------------------------------------------


def test_compose_spec_without_a_version_key_and_the_whole_topology(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    assert "version" not in compose, "the Compose Spec has no version key"
    assert set(services) >= {"nginx", "server", "scheduler", "redis", "postgres", "migrate"}


def test_every_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name, service in services.items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
        assert check["test"] != ["NONE"], name


def test_depends_on_always_names_a_condition(services: dict[str, Any]) -> None:
    for name, service in services.items():
        deps = service.get("depends_on", {})
        assert isinstance(deps, dict), f"{name}: the list form waits for nothing"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown {dep}"
            assert spec.get("condition") in CONDITIONS, f"{name} -> {dep}: {spec}"
            expected = "service_completed_successfully" if dep == "migrate" else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {dep}"
    for name in ("server", "scheduler"):
        assert set(services[name]["depends_on"]) == {"migrate", "postgres", "redis"}
    assert services["nginx"]["depends_on"] == {"server": {"condition": "service_healthy"}}


def test_only_nginx_is_published_and_redis_never(services: dict[str, Any]) -> None:
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"nginx"}
    assert "ports" not in services["redis"] and "network_mode" not in services["redis"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]


def test_web_nodes_and_schedulers_as_cluster_mode_needs_them(services: dict[str, Any]) -> None:
    server, scheduler = services["server"], services["scheduler"]
    serve = cli_parser().parse_args(server["command"])
    assert serve.command == "serve" and serve.no_scheduler and serve.port == 8080
    assert server["deploy"]["replicas"] >= 2
    assert "8080/readyz" in _probe(server)
    # SIGTERM: the drain must be done before compose gives up and kills.
    assert _seconds(server["stop_grace_period"]) > Settings().shutdown_timeout
    sched = cli_parser().parse_args(scheduler["command"])
    assert sched.command == "scheduler" and sched.health_port
    assert scheduler["deploy"]["replicas"] == 2
    assert f"{sched.health_port}/healthz" in _probe(scheduler)
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    for step in re.findall(r"forumlive ([a-z-]+)", " ".join(migrate["command"])):
        cli_parser().parse_args([step])  # exits (SystemExit) on an unknown command


def test_the_shared_environment(
    compose: dict[str, Any], services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose["x-forumlive-env"]
    for name in ("server", "scheduler", "migrate"):
        assert services[name]["environment"] == env
    assert env["FORUMLIVE_REDIS_URL"].startswith("redis://redis:6379")
    assert "@postgres:5432/" in env["FORUMLIVE_DATABASE_URL"]
    assert env["FORUMLIVE_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert env["FORUMLIVE_AUTO_MIGRATE"] == "false"  # the one-shot migrate does it, once
    assert ":?" in env["FORUMLIVE_SECRET_KEY"], "every node must share one secret: required"
    unknown = set(env) - SETTINGS_VARS
    assert not unknown, f"not forumlive settings (typos?): {unknown}"
    for key, value in env.items():  # the values parse as forumlive reads them
        if "${" not in str(value) and value != "":
            monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.auto_migrate is False and settings.trusted_proxies
    assert services["server"]["volumes"] == ["replays:/replay"]  # one replay dir for all


def test_env_example_covers_what_compose_reads(compose: dict[str, Any]) -> None:
    example = {
        line.split("=", 1)[0]
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE.read_text()))
    assert required <= example
    assert example <= referenced, f"set in .env.example but never read: {example - referenced}"
    assert example - COMPOSE_ONLY <= SETTINGS_VARS


# -- Dockerfile ---------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in (raw.strip() for raw in text.splitlines())
        if line and not line.startswith("#")
    ]


def test_dockerfile_is_slim_non_root_with_a_healthcheck() -> None:
    steps = _instructions()
    kinds = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and "-slim" in steps[0][1]
    users = [arg for k, arg in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0"), "runs as root"
    assert kinds.index("USER") > max(i for i, k in enumerate(kinds) if k == "RUN")
    assert "useradd" in " ".join(arg for k, arg in steps if k == "RUN")
    [health] = [arg for k, arg in steps if k == "HEALTHCHECK"]
    [expose] = [arg for k, arg in steps if k == "EXPOSE"]
    assert f"127.0.0.1:{expose}/healthz" in health
    env = dict(token.split("=", 1) for k, arg in steps if k == "ENV" for token in shlex.split(arg))
    assert env["FORUMLIVE_PORT"] == expose and env["FORUMLIVE_HOST"] == "0.0.0.0"
    assert set(env) - {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
                       "PIP_DISABLE_PIP_VERSION_CHECK"} <= SETTINGS_VARS  # fmt: skip
    copied = {
        arg.split()[-1].rstrip("/").removeprefix("./"): arg for k, arg in steps if k == "COPY"
    }
    assert {"server", "scheduler", "web"} <= set(copied)
    # `pip install .` does not put web/ beside the installed package: point at the copy.
    assert env["FORUMLIVE_WEB_DIR"] == "/app/web" and ("WORKDIR", "/app") in steps
    assert env["FORUMLIVE_REPLAY_DIR"] == "/replay"
    assert [arg for k, arg in steps if k == "ENTRYPOINT"] == ['["forumlive"]']


def test_the_installed_package_carries_the_migrations() -> None:
    """`pip install .` (the image) must ship alembic's versions and template, not only
    the editable checkout the tests run from."""
    packages = set(find_namespace_packages(where=str(ROOT), include=["server*", "scheduler*"]))
    assert {"server.db.migrations", "server.db.migrations.versions", "scheduler"} <= packages
    assert (ROOT / "server" / "db" / "migrations" / "script.py.mako").exists()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"*.mako"' in pyproject and "namespaces = false" not in pyproject
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"server", "scheduler", "web", "pyproject.toml"} & set(ignored)


# -- deploy/nginx.conf --------------------------------------------------------------------


def _location(conf: str, path: str) -> str:
    match = re.search(r"location\s+" + re.escape(path) + r"\s*\{(.*?)\n    \}", conf, re.S)
    assert match, f"no location {path}"
    return match.group(1)


def test_nginx_upgrades_websockets_and_outlasts_the_engine_io_ping() -> None:
    conf = NGINX.read_text()
    sio = _location(conf, "/socket.io/")
    assert "proxy_http_version 1.1;" in sio
    assert "proxy_set_header Upgrade $http_upgrade;" in sio
    assert "proxy_set_header Connection $connection_upgrade;" in sio
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{[^}]*default upgrade;", conf)
    engine = make_sio(Settings()).eio
    idle = engine.ping_interval + engine.ping_timeout
    for timeout in ("proxy_read_timeout", "proxy_send_timeout"):
        [value] = re.findall(timeout + r"\s+(\w+);", sio)
        assert _seconds(value) > idle, f"{timeout} {value} <= Engine.IO's {idle} s"
    rest = _location(conf, "/")
    [retry] = re.findall(r"proxy_next_upstream\s+([^;]+);", rest)
    assert "http_503" not in retry, "a node's 503 is its answer, not a dead node"
    assert re.search(r"server\s+server:8080\b", conf), "upstream: the compose service and port"


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    """nginx itself parses deploy/nginx.conf as the tests run it (loopback upstreams)."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(loopback_nginx_conf(NGINX.read_text(), [18081, 18082], 18080, tmp_path))
    result = subprocess.run(
        ["nginx", "-t", "-c", str(conf), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_nginx_answers_json_when_no_node_is_up(tmp_path: Path) -> None:
    nginx = Nginx(tmp_path, [free_port(), free_port()])  # nothing listens there
    try:
        status, body = http_get(nginx.url + "/api/v1/agenda")
        assert status == 503
        assert json.loads(body)["error"]["code"] == "unavailable"
        with urllib.request.urlopen(nginx.url + "/healthz", timeout=3) as r:
            pytest.fail(f"answered {r.status}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 503 and exc.headers["Retry-After"] == "2"
        assert exc.headers["Content-Type"] == "application/json"
    finally:
        nginx.stop()
