"""THE ONE PLACE that reaches into python-engineio's (and aiohttp's websocket) internals.

The frame-once engine needs, per websocket connection, the transport to write frames
to, and it needs engineio to stop running a queue and a writer task per socket. No
public API offers either, so this module:

1. replaces the ``"websocket"`` entry of the engineio server's ``_async`` driver table
   (a private dict; copied per server, never mutated in place) with ``EngineWebSocket``;
2. in it, opens aiohttp's ``WebSocketResponse`` itself — with permessage-deflate off
   unless configured (engineio's driver always lets aiohttp accept it, which costs a
   compressor and decompressor per connection) — and for a plain websocket connection
   runs its own read loop instead of ``AsyncSocket._websocket_handler``, mirroring
   what that handler does (mark connected/upgraded, decode packets, ``socket.receive``,
   close with TRANSPORT_CLOSE at the end), minus the writer task;
3. swaps the socket's ``queue`` (engineio puts every outgoing packet there, and ``None``
   to stop) for the engine's ``Link``, after writing out what was queued before.

4. pings those sockets from one timer queue (``Pinger``) instead of one sleeping task
   per socket: the engineio ``connect`` handler is wrapped to clear ``last_ping`` for a
   websocket connection (so ``schedule_ping`` starts no task), and the read loop takes
   PONGs itself. Timing and timeouts are engineio's: a ping every ``ping_interval``
   after the last pong, the connection closed when none comes.

An upgrade from long-polling (only with ``allow_polling``) keeps engineio's own
handler: those connections are written through engineio's queue and pinged by it.

python-engineio's shape this relies on is pinned in pyproject.toml and checked by
``check_engineio_shape`` — tests/engine/test_wire.py fails loudly when an upgrade
changes it. Tested with python-engineio 4.15 / python-socketio 5.18 / aiohttp 3.14.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections import deque
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType
from aiohttp.web import WebSocketResponse
from engineio import async_socket, exceptions
from engineio import packet as eio_packet

from server.live.engine.engine import Engine
from server.live.engine.link import Link

# What check_engineio_shape verifies, in words (the failure message repeats it).
_SHAPE = (
    "engineio.AsyncServer keeps its drivers in self._async['websocket'], built as "
    "driver(socket._websocket_handler, server) and awaited with the environ; "
    "AsyncSocket has queue/connected/upgraded/closed/closing/sid, receive(pkt) and "
    "close(wait, abort, reason); the server has sockets, ping_interval, ping_timeout, "
    "max_http_buffer_size and reason.TRANSPORT_CLOSE; the aiohttp environ carries "
    "'aiohttp.request'"
)


class EngineWebSocket:
    """engineio's aiohttp websocket driver, with the engine's write path for plain websockets."""

    def __init__(self, handler: Any, server: engineio.AsyncServer, engine: Engine) -> None:
        self.handler = handler  # AsyncSocket._websocket_handler, bound to its socket
        self.server = server
        self.engine = engine
        self._sock: WebSocketResponse | None = None

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        ws = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size,
            compress=self.engine.config.deflate,
        )
        await ws.prepare(request)
        self._sock = ws
        socket = getattr(self.handler, "__self__", None)
        transport = request.transport
        if (
            not isinstance(socket, async_socket.AsyncSocket)
            or socket.connected  # an upgrade from long-polling: engineio's own path
            or transport is None
        ):
            await self.handler(self)
        else:
            await _serve(self.engine, self.server, socket, ws, transport)
        return ws

    # engineio's own handler (the upgrade path) talks to the driver through these three.
    async def close(self) -> None:
        assert self._sock is not None
        await self._sock.close()

    async def send(self, message: str | bytes) -> None:
        assert self._sock is not None
        if isinstance(message, bytes):
            await self._sock.send_bytes(message)
        else:
            await self._sock.send_str(message)

    async def wait(self) -> str | bytes:
        assert self._sock is not None
        msg = await self._sock.receive()
        if not isinstance(msg.data, bytes | str):
            raise OSError()
        return msg.data


async def _serve(
    engine: Engine,
    server: engineio.AsyncServer,
    socket: async_socket.AsyncSocket,
    ws: WebSocketResponse,
    transport: asyncio.Transport,
) -> None:
    link = engine.new_link(socket.sid, transport, ws, int(ws.compress or 0))
    socket.connected = True
    socket.upgraded = True
    _adopt(socket, link)
    pinger = engine.pinger
    assert pinger is not None  # install() made it
    if socket.last_ping is None:  # no engineio ping task for it (see _wrap_connect)
        pinger.schedule(socket)
    idle = server.ping_interval + server.ping_timeout  # a silent client is gone by then
    try:
        # One step per message, so nothing of the last message stays referenced while the
        # connection idles (thousands of idle connections: it adds up).
        while await _receive_one(server, socket, ws, idle, pinger):
            pass
    finally:
        engine.drop_link(link)
        try:
            # First the disconnect handlers (presence leaves at once), then the goodbye,
            # which waits for the client's close reply.
            await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
        finally:
            if not ws.closed and not transport.is_closing():
                try:
                    await ws.close()
                except Exception:  # the peer is gone: nothing left to tell it
                    transport.abort()


class Pinger:
    """Engine.IO pings for every websocket of a node, from one task and one queue.

    Pings are due ``ping_interval`` after a connection opened or answered the last one,
    so due times only grow: a FIFO queue is already in order.
    """

    def __init__(self, server: engineio.AsyncServer) -> None:
        self._server = server
        self._due: deque[tuple[float, async_socket.AsyncSocket]] = deque()
        self._task: asyncio.Task[None] | None = None

    def schedule(self, socket: async_socket.AsyncSocket) -> None:
        loop = asyncio.get_running_loop()
        self._due.append((loop.time() + self._server.ping_interval, socket))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="engine-pinger")

    async def stop(self) -> None:
        self._due.clear()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def pong(self, socket: async_socket.AsyncSocket) -> None:
        if socket.last_ping:  # an answer to our ping (a stray PONG changes nothing)
            socket.last_ping = None
            self.schedule(socket)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = self._due
        while due:
            wait = due[0][0] - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            now = loop.time()
            while due and due[0][0] <= now:
                _, socket = due.popleft()
                if socket.closing or socket.closed or socket.last_ping is not None:
                    continue
                socket.last_ping = time.time()  # what engineio's check_ping_timeout reads
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.PING))


def _wrap_connect(eio: engineio.AsyncServer) -> None:
    """A websocket connection gets no per-socket ping task: the Pinger pings it."""
    original = eio.handlers.get("connect")

    async def connect(sid: str, environ: dict[str, Any]) -> Any:
        result = await original(sid, environ) if original is not None else None
        if "transport=websocket" in environ.get("QUERY_STRING", ""):
            socket = eio.sockets.get(sid)
            if socket is not None:
                socket.last_ping = None  # AsyncSocket.schedule_ping starts nothing now
        return result

    eio.on("connect", connect)


def _adopt(socket: async_socket.AsyncSocket, link: Link) -> None:
    """The socket's queue becomes the link, after writing out what was queued before."""
    backlog = socket.queue
    socket.queue = link  # from here on every packet engineio sends is written at once
    while True:  # the OPEN packet (and anything else) engineio queued before the upgrade
        try:
            pkt = backlog.get_nowait()
        except asyncio.QueueEmpty:
            break
        link.put_nowait(pkt)
        if pkt is None:
            break


async def _receive_one(
    server: engineio.AsyncServer,
    socket: async_socket.AsyncSocket,
    ws: WebSocketResponse,
    idle: float,
    pinger: Pinger,
) -> bool:
    """Read and handle one message; False when the connection is over."""
    try:
        msg = await ws.receive(timeout=idle)
    except Exception:
        return False  # no ping answered in time, or the transport failed
    if msg.type is not WSMsgType.TEXT and msg.type is not WSMsgType.BINARY:
        return False  # closed by the client, or a protocol error (aiohttp closed it)
    data = msg.data
    if len(data) > server.max_http_buffer_size:
        return False
    try:
        pkt = eio_packet.Packet(encoded_packet=data)
    except Exception:
        return False  # not Engine.IO: engineio's own handler would fail here as well
    if pkt.packet_type == eio_packet.PONG:
        pinger.pong(socket)  # engineio would start a ping task here
        return True
    try:
        await socket.receive(pkt)
    except exceptions.UnknownPacketError:
        pass
    except exceptions.SocketIsClosedError:
        return False
    except Exception:
        server.logger.exception("Unknown receive error")
    return True


def install(sio: socketio.AsyncServer, engine: Engine) -> None:
    """Route ``sio``'s websocket connections through ``engine``."""
    check_engineio_shape(sio.eio)
    eio = sio.eio
    drivers = dict(eio._async)  # the module-level table is shared: copy, never mutate it

    def driver(handler: Any, server: engineio.AsyncServer) -> EngineWebSocket:
        return EngineWebSocket(handler, server, engine)

    drivers["websocket"] = driver
    eio._async = drivers
    _wrap_connect(eio)
    engine.eio = eio
    engine.manager = sio.manager
    engine.pinger = Pinger(eio)


def start_manager(sio: socketio.AsyncServer) -> None:
    """Start the client manager now, not at the first Engine.IO connection.

    python-socketio initialises its manager lazily (``manager_initialized``); a Redis
    manager only then starts listening. A node that has served no websocket yet must
    still hear pushes from the other nodes and schedulers (the agenda cache watches them).
    """
    if not getattr(sio, "manager_initialized", True):
        sio.manager_initialized = True
        sio.manager.initialize()


class EngineioShapeError(RuntimeError):
    pass


def check_engineio_shape(eio: engineio.AsyncServer) -> None:
    """Fail loudly if the installed python-engineio no longer looks like what this module uses."""
    problems: list[str] = []
    drivers = getattr(eio, "_async", None)
    if not isinstance(drivers, dict) or "websocket" not in drivers:
        problems.append("server._async['websocket'] is missing")
    for name in ("sockets", "ping_interval", "ping_timeout", "max_http_buffer_size"):
        if not hasattr(eio, name):
            problems.append(f"server.{name} is missing")
    if not hasattr(getattr(eio, "reason", None), "TRANSPORT_CLOSE"):
        problems.append("server.reason.TRANSPORT_CLOSE is missing")
    upgrade = inspect.getsource(async_socket.AsyncSocket._upgrade_websocket)
    if "_async['websocket'](" not in upgrade or "self._websocket_handler" not in upgrade:
        problems.append("AsyncSocket._upgrade_websocket no longer builds the websocket driver")
    send = inspect.getsource(async_socket.AsyncSocket.send)
    if "self.queue.put(" not in send:
        problems.append("AsyncSocket.send no longer puts packets on self.queue")
    close_params = inspect.signature(async_socket.AsyncSocket.close).parameters
    if not {"wait", "abort", "reason"} <= set(close_params):
        problems.append("AsyncSocket.close(wait, abort, reason) changed")
    if not isinstance(getattr(eio, "handlers", None), dict) or not callable(
        getattr(eio, "on", None)
    ):
        problems.append("server.handlers / server.on(event, handler) changed")
    schedule = inspect.getsource(async_socket.AsyncSocket.schedule_ping)
    if "if self.last_ping" not in schedule:
        problems.append("AsyncSocket.schedule_ping no longer skips when last_ping is unset")
    check = inspect.getsource(async_socket.AsyncSocket.check_ping_timeout)
    if "self.last_ping" not in check:
        problems.append("AsyncSocket.check_ping_timeout no longer reads last_ping")
    for name in ("receive", "_websocket_handler", "schedule_ping"):
        if not callable(getattr(async_socket.AsyncSocket, name, None)):
            problems.append(f"AsyncSocket.{name} is missing")
    translate = inspect.getsource(eio._async.get("translate_request", lambda: None))
    if "'aiohttp.request'" not in translate and '"aiohttp.request"' not in translate:
        problems.append("the aiohttp environ no longer carries 'aiohttp.request'")
    if problems:
        raise EngineioShapeError(
            f"python-engineio {engineio.__version__ if hasattr(engineio, '__version__') else '?'} "
            f"changed shape ({'; '.join(problems)}). server/live/engine/wire.py expects: {_SHAPE}. "
            "Set FORUMLIVE_LIVE_ENGINE=sio to run on python-socketio's own path meanwhile."
        )
