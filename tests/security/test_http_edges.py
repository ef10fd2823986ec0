"""HTTP at the byte level: request smuggling, oversized requests, path traversal, the parser.

Requests go over raw sockets to a real listening server (aiohttp's test server runs
the same protocol code as ``forumlive serve``), so nothing between the test and the
server normalises a path or repairs a header.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.ops.http_parser import require_c_http_parser
from server.settings import Settings
from server.web import DEFAULT_WEB_DIR
from tests.cli.processes import forumlive_executable
from tests.factories import Factory
from tests.streaming.support import Studio

SECRET = b"TOP-SECRET-OUTSIDE-THE-WEB-FOLDER"


async def raw(client: TestClient, data: bytes, timeout: float = 5) -> bytes:
    """Send bytes, read until the server closes (or ``timeout``), return all it said."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.port)  # type: ignore[arg-type]
    chunks: list[bytes] = []
    try:
        # The server may answer (413) and close before it has read all we send.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            async with asyncio.timeout(timeout):
                while chunk := await reader.read(65536):
                    chunks.append(chunk)
        return b"".join(chunks)
    finally:
        writer.close()


def statuses(answer: bytes) -> list[int]:
    """Status codes of every response in a byte stream (a smuggled request shows up here)."""
    return [
        int(line.split(b" ")[1])
        for line in answer.split(b"\r\n")
        if line.startswith(b"HTTP/1.") and len(line.split(b" ")) > 1
    ]


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{extra}Connection: close\r\n\r\n".encode()


@pytest.fixture
def web_copy(tmp_path: Path) -> Path:
    """A copy of web/ with symlinks planted pointing outside it, and a secret beside it."""
    root = tmp_path / "site"
    shutil.copytree(DEFAULT_WEB_DIR, root / "web", symlinks=True)
    (root / "secret.txt").write_bytes(SECRET)
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_bytes(SECRET)
    os.symlink(root / "secret.txt", root / "web" / "leak.txt")
    os.symlink(root / "outside", root / "web" / "leakdir")
    os.symlink("../secret.txt", root / "web" / "css" / "relative-leak.css")
    return root / "web"


@pytest.fixture
async def edge_client(aiohttp_client: Any, settings: Settings, web_copy: Path) -> TestClient:
    app = create_app(settings.model_copy(update={"web_dir": web_copy}))
    return await aiohttp_client(app)


def test_the_server_runs_on_the_c_parser() -> None:
    require_c_http_parser()  # raises on the pure-Python parser


def test_serve_refuses_the_pure_python_parser(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORUMLIVE_")}
    result = subprocess.run(
        [forumlive_executable(), "serve", "--port", "0", "--data-dir", str(tmp_path)],
        env={**env, "AIOHTTP_NO_EXTENSIONS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0, result
    assert "pure-Python parser" in result.stderr and "AIOHTTP_NO_EXTENSIONS" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "forumlive.db").exists()  # refused before touching anything


SMUGGLING = {
    "CL and TE": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "TE and CL": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Length: 4\r\n\r\n0\r\n\r\n"
    ),
    "two Content-Lengths": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
        b"Content-Length: 40\r\n\r\n{}{}"
    ),
    "Content-Length list": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: 4, 4\r\n\r\n{}{}"
    ),
    "signed Content-Length": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Length: +4\r\n\r\n{}{}"
    ),
    "TE chunked not last": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\n"
        b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"
    ),
    "TE obfuscated": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n"
    ),
    "TE with space before colon": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n"
        b"0\r\n\r\n"
    ),
    "TE folded": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding:\r\n chunked\r\n\r\n"
        b"0\r\n\r\n"
    ),
    "bad chunk size": (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"-1\r\n{}\r\n0\r\n\r\n"
    ),
    "bare LF line ends": b"GET /healthz HTTP/1.1\nHost: t\n\n",
    "NUL in header": b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n",
}
SMUGGLED = b"GET /api/v1/me HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"


@pytest.mark.parametrize("name", sorted(SMUGGLING))
async def test_ambiguous_framing_is_refused_and_nothing_is_smuggled(
    client: TestClient, name: str
) -> None:
    """Each ambiguous request gets one 4xx and the connection closes: the request hidden
    behind it (which would be a 401 from /api/v1/me) is never parsed."""
    answer = await raw(client, SMUGGLING[name] + SMUGGLED)
    codes = statuses(answer)
    assert len(codes) == 1, (name, answer[:600])
    assert 400 <= codes[0] < 500 or codes[0] == 501, (name, answer[:300])


async def test_the_error_of_a_well_framed_request_is_json(client: TestClient) -> None:
    answer = await raw(
        client,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    assert statuses(answer) == [422]
    assert b'"error"' in answer


@pytest.mark.parametrize(
    "request_bytes",
    [
        get("/healthz", "X-Big: " + "a" * 20_000 + "\r\n"),  # one huge header
        get("/healthz", "".join(f"X-H{i}: {'b' * 100}\r\n" for i in range(400))),  # many
        get("/healthz?" + "q" * 20_000),  # a huge request line
        get("/healthz", "Cookie: " + "c=" + "x" * 20_000 + "\r\n"),
    ],
    ids=["one huge header", "400 headers", "huge request line", "huge cookie"],
)
async def test_oversized_headers_are_refused(client: TestClient, request_bytes: bytes) -> None:
    codes = statuses(await raw(client, request_bytes))
    assert len(codes) == 1 and codes[0] in (400, 413, 414, 431), codes


async def test_oversized_bodies_are_refused_with_413(
    client: TestClient, settings: Settings
) -> None:
    big = b'{"name": "' + b"x" * (settings.max_body_bytes + 10) + b'"}'
    headers = b"Host: t\r\nContent-Type: application/json\r\nConnection: close\r\n"
    answer = await raw(
        client,
        b"POST /api/v1/auth/register HTTP/1.1\r\n" + headers
        + f"Content-Length: {len(big)}\r\n\r\n".encode() + big,
    )  # fmt: skip
    assert statuses(answer)[:1] == [413], answer[:300]
    # Chunked, so no Content-Length announces it: still cut off at the limit.
    chunks = [b'{"name": "', *([b"x" * 65536] * 20)]
    body = b"".join(f"{len(c):x}\r\n".encode() + c + b"\r\n" for c in chunks)
    answer = await raw(
        client,
        b"POST /api/v1/auth/register HTTP/1.1\r\n" + headers
        + b"Transfer-Encoding: chunked\r\n\r\n" + body + b"0\r\n\r\n",
    )  # fmt: skip
    assert statuses(answer)[:1] == [413], answer[:300]


TRAVERSALS = [
    "/static/../server/app.py",
    "/static/%2e%2e/server/app.py",
    "/static/%2E%2E/%2E%2E/pyproject.toml",
    "/static/..%2fserver%2fapp.py",
    "/static/..%2F..%2Fsecret.txt",
    "/static/%252e%252e/secret.txt",
    "/static/%252e%252e%252fsecret.txt",
    "/static/..%5c..%5csecret.txt",
    "/static/....//....//secret.txt",
    "/static/.%2e/secret.txt",
    "/static/%c0%ae%c0%ae/secret.txt",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/leak.txt",
    "/static/leakdir/secret.txt",
    "/static/css/relative-leak.css",
    "/static/../../../../../../etc/passwd",
    "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_static_files_stay_inside_the_web_folder(edge_client: TestClient, path: str) -> None:
    answer = await raw(edge_client, get(path))
    codes = statuses(answer)
    assert len(codes) == 1 and 400 <= codes[0] < 500, (path, answer[:300])
    for leaked in (SECRET, b"root:x:0:0", b"create_app", b"[project]"):
        assert leaked not in answer, (path, leaked)


async def test_static_files_inside_are_served(edge_client: TestClient) -> None:
    answer = await raw(edge_client, get("/static/index.html"))
    assert statuses(answer) == [200]
    assert statuses(await raw(edge_client, get("/static/"))) in ([403], [404])  # no listing


RELAY_TRICKS = [
    "..%2f..%2fsecret.ts",
    "%2e%2e%2fsecret.ts",
    "..%252fsecret.ts",
    "%2e%2e",
    "..",
    "a%00.ts",
    "a%0d%0aX-Injected:%20yes.ts",
    "..%5csecret.ts",
    "seg.ts%2f..%2f..%2fsecret.ts",
    ("x" * 300) + ".ts",
    "playlist.m3u8%00.ts",
    "index.php",
]


@pytest.fixture
async def relay(factory: Factory) -> Any:
    return await (await Studio(factory).setup()).stage()


@pytest.mark.parametrize("trick", RELAY_TRICKS)
async def test_ingest_and_playback_refuse_path_tricks(
    client: TestClient, relay: Any, trick: str
) -> None:
    key = f"Authorization: Bearer {relay.key}\r\n"
    token = f"Authorization: Bearer {relay.token}\r\n"
    for channel in ("floor", "..", "%2e%2e", "floor%2f..", "fl oor"):
        put = (
            f"PUT /ingest/{relay.room_id}/{channel}/{trick} HTTP/1.1\r\nHost: t\r\n{key}"
            "Content-Length: 4\r\nConnection: close\r\n\r\nDATA"
        ).encode()
        codes = statuses(await raw(client, put))
        assert len(codes) == 1 and 400 <= codes[0] < 500, (channel, trick, codes)
        answer = await raw(client, get(f"/hls/{relay.room_id}/{channel}/{trick}", token))
        codes = statuses(answer)
        assert len(codes) == 1 and 400 <= codes[0] < 500, (channel, trick, codes)
        assert b"X-Injected" not in answer.split(b"\r\n\r\n")[0]
    for path in (f"/ingest/{relay.room_id}/../../x.ts", f"/ingest/{relay.room_id}/%2e%2e/x.ts"):
        put = f"PUT {path} HTTP/1.1\r\nHost: t\r\n{key}Content-Length: 1\r\nConnection: close\r\n\r\nx"
        codes = statuses(await raw(client, put.encode()))
        assert len(codes) == 1 and 400 <= codes[0] < 500, (path, codes)


async def test_replay_files_stay_inside_the_replay_folder(
    client: TestClient, factory: Factory, settings: Settings, tmp_path: Path
) -> None:
    """A published-looking replay folder with a secret next to it: no name reaches it."""
    (tmp_path / "replay").mkdir(exist_ok=True)
    (tmp_path / "replay" / "secret.ts").write_bytes(SECRET)
    (tmp_path / "secret.m3u8").write_bytes(SECRET)
    user = await factory.user()
    auth = f"Authorization: Bearer {user['token']}\r\n"
    for path in (
        "/replay/1/floor/..%2f..%2fsecret.m3u8",
        "/replay/1/floor/%2e%2e%2fsecret.ts",
        "/replay/1/%2e%2e/secret.ts",
        "/replay/1/../secret.ts",
        "/replay/..%2f1/floor/index.m3u8",
        "/replay/1/floor/..%252fsecret.ts",
    ):
        answer = await raw(client, get(path, auth))
        codes = statuses(answer)
        assert len(codes) == 1 and 400 <= codes[0] < 500, (path, codes)
        assert SECRET not in answer
