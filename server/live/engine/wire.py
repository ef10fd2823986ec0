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
   to stop) for the engine's ``Link``, after writing out what was queued before;
3a. once the handshake is written, takes the connection away from aiohttp: the
   transport's protocol becomes a ``WireProtocol`` (frames parsed in ``data_received``
   by aiohttp's own websocket reader, Engine.IO packets handed to the socket), and the
   HTTP request handler returns. That frees, per connection, what a long-lived aiohttp
   handler holds for the websocket's whole life — the request, its headers and parser,
   the request handler and its two tasks, the coroutine frames of the five middlewares,
   socketio's and engineio's handlers and a read loop (together ≈ 15 KB of the ≈ 25 KB a
   connection cost; docs/benchmarks.md, "Broadcast engine", memory per client). The environ python-
   socketio keeps per connection then holds a ``Handshake`` (the app and the cookies,
   what a namespace's connect handler reads) instead of the aiohttp request;

4. pings those sockets from one timer queue (``Pinger``) instead of one sleeping task
   per socket: the engineio ``connect`` handler is wrapped to clear ``last_ping`` for a
   websocket connection (so ``schedule_ping`` starts no task), and the read loop takes
   PONGs itself. Timing and timeouts are engineio's: a ping every ``ping_interval``
   after the last pong, the connection closed when none comes within ``ping_timeout``.

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
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import engineio
import socketio
from aiohttp import WSMsgType, web_protocol
from aiohttp._websocket.reader import WebSocketDataQueue, WebSocketReader
from aiohttp.http_websocket import WebSocketError, WSCloseCode
from aiohttp.web import WebSocketResponse
from engineio import async_socket, exceptions
from engineio import packet as eio_packet

from server.live.engine.engine import Engine
from server.live.engine.frames import close_frame, frame
from server.live.engine.link import Link

# What check_engineio_shape verifies, in words (the failure message repeats it).
_SHAPE = (
    "engineio.AsyncServer keeps its drivers in self._async['websocket'], built as "
    "driver(socket._websocket_handler, server) and awaited with the environ; "
    "AsyncSocket has queue/connected/upgraded/closed/closing/sid, receive(pkt) and "
    "close(wait, abort, reason); the server has sockets, ping_interval, ping_timeout, "
    "max_http_buffer_size and reason.TRANSPORT_CLOSE; the aiohttp environ carries "
    "'aiohttp.request'; aiohttp's request handler (RequestHandler) keeps its transport in "
    "'transport', WebSocketResponse its queue in '_reader' and skips write_eof once "
    "'_eof_sent'"
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
            or transport.is_closing()
        ):
            await self.handler(self)
        else:
            _take_over(self.engine, self.server, socket, ws, request, transport, environ)
        return ws  # for a taken-over connection aiohttp's handler ends here; it stays open

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


class Handshake:
    """What stays of the upgrade request in the environ python-socketio keeps per connection.

    A namespace's connect handler may read the request's ``app`` and ``cookies``
    (server/live/agenda.py: the session cookie); nothing else of it is used after the
    handshake, and the aiohttp request would keep its headers, parser and handler alive.
    """

    __slots__ = ("app", "cookies", "remote")

    def __init__(self, request: Any) -> None:
        self.app = request.app
        cookies = request.cookies
        self.cookies: Mapping[str, str] = dict(cookies) if cookies else _NO_COOKIES
        self.remote: str | None = request.remote


_NO_COOKIES: Mapping[str, str] = MappingProxyType({})


def _take_over(
    engine: Engine,
    server: engineio.AsyncServer,
    socket: async_socket.AsyncSocket,
    ws: WebSocketResponse,
    request: Any,
    transport: asyncio.Transport,
    environ: dict[str, Any],
) -> None:
    """The connection leaves aiohttp: a ``WireProtocol`` reads it, a ``Link`` writes it."""
    handler = request.protocol  # aiohttp's RequestHandler: it must not close the transport
    wire = WireProtocol(engine, server, socket, transport, ws)
    transport.set_protocol(wire)
    # Frames the client sent before the swap (none, from a socket.io client: it waits for
    # the OPEN packet) were parsed into the response's queue: handle them first.
    buffered = getattr(ws._reader, "_buffer", None)
    # aiohttp's handler returns now: it must neither close the transport nor send a close
    # frame (write_eof), and its server forgets the connection once the handler is done.
    handler.transport = None
    manager = getattr(handler, "_manager", None)
    if manager is not None:
        manager.connection_lost(handler, None)
    ws._eof_sent = True
    environ["aiohttp.request"] = Handshake(request)
    link = engine.new_link(socket.sid, transport, wire, int(ws.compress or 0))
    wire.link = link
    socket.connected = True
    socket.upgraded = True
    _adopt(socket, link)
    if socket.last_ping is None:  # no engineio ping task for it (see _wrap_connect)
        pinger = engine.pinger
        assert pinger is not None  # install() made it
        pinger.schedule(socket)
    while buffered:
        wire.message(buffered.popleft()[0])
    with contextlib.suppress(Exception):
        transport.resume_reading()  # in case aiohttp paused it for a full queue


class _Sink(WebSocketDataQueue):
    """Where aiohttp's websocket readers put each message: straight to a wire protocol.

    Nothing is queued, so a reader never applies its back-pressure (``_size`` stays 0).
    One sink serves every connection of a loop (a queue costs ≈ 1 KB): the protocol
    whose bytes are being parsed sets itself in ``_protocol`` before feeding its reader,
    and parsing is synchronous, so no other connection's message can come in between.
    """

    __slots__ = ()

    def feed_data(self, data: Any, size: int) -> None:
        self._protocol.message(data)

    def set_exception(self, exc: BaseException, exc_cause: Any = None) -> None:
        self._protocol.failed(exc)

    def feed_eof(self) -> None:
        return None


def _sink(engine: Engine) -> _Sink:
    """The engine's sink (an engine serves one app, on one loop)."""
    sink = engine.wire_sink
    if sink is None:
        sink = engine.wire_sink = _Sink(None, 2**16, loop=asyncio.get_running_loop())
    return sink


_PONG = 0x8A  # FIN + pong opcode


class WireProtocol(asyncio.Protocol):
    """One plain websocket after its handshake: incoming frames in, Engine.IO packets on.

    Outgoing data goes through the connection's ``Link`` (and nothing else writes to the
    transport but the close and pong frames here). Incoming Engine.IO packets are handed
    to engineio's socket in order, by a task that exists only while some are waiting.
    """

    __slots__ = (
        "_closing",
        "_inbox",
        "_reader",
        "_sink",
        "engine",
        "link",
        "server",
        "socket",
        "transport",
    )

    def __init__(
        self,
        engine: Engine,
        server: engineio.AsyncServer,
        socket: async_socket.AsyncSocket,
        transport: asyncio.Transport,
        ws: WebSocketResponse,
    ) -> None:
        self.engine = engine
        self.server = server
        self.socket = socket
        self.transport = transport
        self.link: Link | None = None
        self._closing = False
        self._inbox: deque[eio_packet.Packet] | None = None  # packets waiting for the task
        self._sink = _sink(engine)
        self._reader = WebSocketReader(
            self._sink,
            server.max_http_buffer_size,
            compress=bool(ws.compress),
            decode_text=True,
        )

    # -- asyncio.Protocol ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if not self._closing:
            self._sink._protocol = self
            self._reader.feed_data(data)

    def eof_received(self) -> bool:
        return False  # the client half-closed: close our side too

    def connection_lost(self, exc: BaseException | None) -> None:
        self._closing = True
        if self.link is not None:
            self.engine.drop_link(self.link)
        # The disconnect handlers (presence leaves at once): engineio's close, in a task.
        self.engine.spawn(_gone(self.server, self.socket))

    # -- from the reader ---------------------------------------------------------------------

    def message(self, msg: Any) -> None:
        kind = msg.type
        if kind is WSMsgType.TEXT or kind is WSMsgType.BINARY:
            self._packet(msg.data)
        elif kind is WSMsgType.PING:
            self.transport.write(frame(bytes(msg.data), _PONG))
        elif kind is WSMsgType.CLOSE:
            if self._closing:  # the reply to our close: done
                self.transport.close()
            else:
                self.close(WSCloseCode.OK if msg.data in (0, None) else int(msg.data))
                self.transport.close()
        # an unsolicited PONG needs nothing

    def failed(self, exc: BaseException) -> None:
        """A protocol error or an oversized message: close with its code, as aiohttp does."""
        code = exc.code if isinstance(exc, WebSocketError) else WSCloseCode.PROTOCOL_ERROR
        self.close(int(code))

    def _packet(self, data: str | bytes) -> None:
        if self._closing:
            return
        if len(data) > self.server.max_http_buffer_size:
            self.close(WSCloseCode.MESSAGE_TOO_BIG)
            return
        try:
            pkt = eio_packet.Packet(encoded_packet=data)
        except Exception:
            self.close(WSCloseCode.PROTOCOL_ERROR)  # not Engine.IO
            return
        if pkt.packet_type == eio_packet.PONG:
            pinger = self.engine.pinger
            if pinger is not None:
                pinger.pong(self.socket)  # engineio would start a ping task here
            return
        if self._inbox is None:
            self._inbox = deque((pkt,))
            self.engine.spawn(self._deliver())
        else:
            self._inbox.append(pkt)

    async def _deliver(self) -> None:
        inbox = self._inbox
        socket = self.socket
        try:
            while inbox:
                pkt = inbox.popleft()
                try:
                    await socket.receive(pkt)
                except exceptions.UnknownPacketError:
                    pass
                except exceptions.SocketIsClosedError:
                    self.close(WSCloseCode.OK)
                    return
                except Exception:
                    self.server.logger.exception("Unknown receive error")
        finally:
            self._inbox = None

    # -- closing ---------------------------------------------------------------------------

    def close(self, code: int = WSCloseCode.OK) -> None:
        """The server's close frame; the transport closes on the client's reply or soon after."""
        if self._closing or self.transport.is_closing():
            return
        self._closing = True
        with contextlib.suppress(Exception):
            self.transport.write(close_frame(code, ""))
        asyncio.get_running_loop().call_later(_CLOSE_WAIT, _close_transport, self.transport)


async def _gone(server: engineio.AsyncServer, socket: async_socket.AsyncSocket) -> None:
    """The connection ended: engineio closes the socket and forgets it.

    (engineio forgets a closed websocket when its handler returns; this connection's
    handler returned at the handshake.)
    """
    try:
        await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    finally:
        if (socket.closed or socket.closing) and server.sockets.get(socket.sid) is socket:
            del server.sockets[socket.sid]


_CLOSE_WAIT = 5.0  # seconds a client has to answer our close frame


def _close_transport(transport: asyncio.Transport) -> None:
    if not transport.is_closing():
        transport.close()


class Pinger:
    """Engine.IO pings for every websocket of a node, from one task and two queues.

    Pings are due ``ping_interval`` after a connection opened or answered the last one,
    and a ping is unanswered ``ping_timeout`` after it went out, so due times only grow:
    FIFO queues are already in order.
    """

    def __init__(self, server: engineio.AsyncServer, engine: Engine) -> None:
        self._server = server
        self._engine = engine
        self._due: deque[tuple[float, async_socket.AsyncSocket]] = deque()
        self._answer: deque[tuple[float, float, async_socket.AsyncSocket]] = deque()
        self._task: asyncio.Task[None] | None = None

    def schedule(self, socket: async_socket.AsyncSocket) -> None:
        loop = asyncio.get_running_loop()
        self._due.append((loop.time() + self._server.ping_interval, socket))
        self._start(loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="engine-pinger")

    async def stop(self) -> None:
        self._due.clear()
        self._answer.clear()
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
        due, answer = self._due, self._answer
        while due or answer:
            wake = min(q[0][0] for q in (due, answer) if q)
            wait = wake - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            now = loop.time()
            while due and due[0][0] <= now:
                _, socket = due.popleft()
                if socket.closing or socket.closed or socket.last_ping is not None:
                    continue
                stamp = time.time()
                socket.last_ping = stamp  # what engineio's check_ping_timeout reads
                socket.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
                answer.append((now + self._server.ping_timeout, stamp, socket))
            while answer and answer[0][0] <= now:
                _, stamp, socket = answer.popleft()
                if socket.last_ping == stamp and not socket.closed:
                    # No PONG in time: the client is gone. Closing the transport ends it.
                    link = self._engine.links.get(socket.sid)
                    if link is not None:
                        link.transport.close()


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
    engine.pinger = Pinger(eio, engine)


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
    if "_manager" not in getattr(web_protocol.RequestHandler, "__slots__", ()):
        problems.append("aiohttp's RequestHandler no longer keeps its server in _manager")
    if "self._eof_sent" not in inspect.getsource(WebSocketResponse.write_eof):
        problems.append("aiohttp's WebSocketResponse.write_eof no longer checks _eof_sent")
    if not hasattr(WebSocketDataQueue, "_buffer"):
        problems.append("aiohttp's WebSocketDataQueue no longer keeps _buffer")
    translate = inspect.getsource(eio._async.get("translate_request", lambda: None))
    if "'aiohttp.request'" not in translate and '"aiohttp.request"' not in translate:
        problems.append("the aiohttp environ no longer carries 'aiohttp.request'")
    if problems:
        raise EngineioShapeError(
            f"python-engineio {engineio.__version__ if hasattr(engineio, '__version__') else '?'} "
            f"changed shape ({'; '.join(problems)}). server/live/engine/wire.py expects: {_SHAPE}. "
            "Set FORUMLIVE_LIVE_ENGINE=sio to run on python-socketio's own path meanwhile."
        )
