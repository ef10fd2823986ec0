"""Runtime of the server processes: uvloop, and the collector tuned after start-up."""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
import uvloop
from aiohttp import http_writer, web

from server.live.engine.runtime import use_uvloop
from tests.live.support import free_port


@pytest.fixture
def restore_policy() -> Iterator[None]:
    policy = asyncio.get_event_loop_policy()
    thresholds = gc.get_threshold()
    skip_writelines = http_writer.SKIP_WRITELINES
    try:
        yield
    finally:
        http_writer.SKIP_WRITELINES = skip_writelines
        asyncio.set_event_loop_policy(policy)
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def test_uvloop_only_when_asked(restore_policy: None) -> None:
    assert use_uvloop(False) is False
    assert not isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    assert use_uvloop(True) is True
    loop = asyncio.new_event_loop()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_on_uvloop_large_responses_are_written_without_a_copy_and_arrive_whole(
    restore_policy: None,
) -> None:
    http_writer.SKIP_WRITELINES = True  # as aiohttp sets it on Python < 3.12.9
    assert use_uvloop(True) is True
    assert http_writer.SKIP_WRITELINES is False  # head and body go to writev as they are
    body = os.urandom(3 * 1024 * 1024)  # far above any socket buffer: partial writes

    async def main() -> None:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop)

        async def big(_: web.Request) -> web.Response:
            return web.Response(body=body)

        app = web.Application()
        app.router.add_get("/big", big)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as http:

                async def fetch() -> bytes:
                    async with http.get(f"http://127.0.0.1:{port}/big") as r:
                        return await r.read()

                for got in await asyncio.gather(*(fetch() for _ in range(8))):
                    assert got == body
        finally:
            await runner.cleanup()

    asyncio.run(main())


@pytest.mark.slow
def test_forumlive_serve_runs_on_uvloop_with_the_gc_tuned(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FORUMLIVE_LOG_LEVEL": "INFO", "FORUMLIVE_LOG_FORMAT": "console"}
    forumlive = str(Path(sys.executable).with_name("forumlive"))
    proc = subprocess.Popen(
        [forumlive, "serve", "--no-scheduler", "--port", str(port), "--data-dir", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        for line in proc.stdout:
            if "runtime:" in line:
                break
            assert time.monotonic() < deadline, "no runtime line in time"
        else:
            pytest.fail(f"forumlive serve ended: {proc.wait()}")
        assert "uvloop" in line
        # CPython's own defaults, read from a fresh interpreter: libraries loaded into this
        # test process (hypothesis, schemathesis) may have changed ours.
        fresh = subprocess.run(
            [sys.executable, "-c", "import gc; print(gc.get_threshold())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert f"thresholds {fresh}" in line  # unchanged by forumlive (see runtime.py)
        frozen = int(line.split("gc: ")[1].split()[0])
        assert frozen > 10_000  # modules, the app, the ORM metadata …
    finally:
        proc.terminate()
        proc.wait(20)
