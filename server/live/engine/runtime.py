"""Process runtime for ``forumlive serve`` and ``forumlive scheduler``: event loop and GC.

- uvloop (where installed: it is a dependency except on Windows) replaces asyncio's
  selector loop: a transport write, the engine's hot call, runs in C. On uvloop a
  large response goes out without being copied first (``allow_zero_copy_writes``).
- The collector: after start-up ``gc.freeze()`` moves the start-up heap (modules, the
  app, SQLAlchemy's metadata, pydantic's models: some 175,000 objects) out of every
  later collection, which halves the pause of a full collection (measured 230 → 100 ms
  with 1,000 clients connected). Raising the thresholds was measured too and is not
  done: fewer young collections, but each one pauses 20 ms instead of about 1 ms, which
  is worse for the p99 latency that matters here, for under 0.5 % of CPU saved
  (docs/benchmarks.md, "Broadcast engine").
"""

from __future__ import annotations

import asyncio
import gc
import logging

from aiohttp import web

log = logging.getLogger(__name__)


def use_uvloop(enabled: bool = True) -> bool:
    """Make new event loops uvloop loops (asyncio.run, aiohttp's run_app); False if absent."""
    if not enabled:
        return False
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    allow_zero_copy_writes()
    return True


def allow_zero_copy_writes() -> None:
    """Let aiohttp hand a response's head and body to uvloop's ``writelines`` as they are.

    Before Python 3.12.9, aiohttp joins them into one new bytes object before writing
    (``aiohttp.http_writer.SKIP_WRITELINES``), because asyncio's own ``writelines`` had
    a bug on 3.12 (CVE-2024-12254) and on 3.11 is itself a join. uvloop's is neither: it
    passes the buffers to libuv's ``writev``. The join copies the whole body once per
    response, half a megabyte for the demo agenda: 7 % of a cached agenda request's CPU
    (docs/benchmarks.md, "Agenda over HTTP"). Only for uvloop loops: ``use_uvloop``
    calls this after installing uvloop's policy.
    """
    from aiohttp import http_writer

    if not hasattr(http_writer, "SKIP_WRITELINES"):
        raise RuntimeError(
            "aiohttp.http_writer.SKIP_WRITELINES is gone: check allow_zero_copy_writes "
            "against this aiohttp release"
        )
    http_writer.SKIP_WRITELINES = False


def freeze_startup_heap() -> None:
    """Everything alive now stays alive: take it out of the collector's generations."""
    gc.collect()
    gc.freeze()


async def _freeze_on_startup(app: web.Application) -> None:
    freeze_startup_heap()
    log.info(
        "runtime: %s; gc: %d start-up objects frozen, thresholds %s",
        type(asyncio.get_running_loop()).__module__,
        gc.get_freeze_count(),
        gc.get_threshold(),
    )


def tune_app(app: web.Application) -> None:
    """For a served app: freeze once every start-up hook (database, keys, …) has run."""
    app.on_startup.append(_freeze_on_startup)
