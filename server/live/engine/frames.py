"""One server → client event, encoded once: Socket.IO packet, Engine.IO packet, websocket frame.

The bytes a recipient receives for a room event depend only on the namespace, the
event and its data — never on the recipient — so a broadcast builds them once and
writes the same ``bytes`` object to every transport. What python-socketio would do per
recipient (encode, queue, frame, maybe compress) happens here once per broadcast.

Wire shape of an event: the websocket text frame whose payload is the Engine.IO
MESSAGE ``4`` followed by the Socket.IO EVENT ``2``, the namespace and the JSON array
``[event, *args]``: ``42/live,["chat:message",{...}]``.

permessage-deflate (RFC 7692), when a connection negotiated it, gets a payload
compressed on its own (a fresh compressor, no context carried between messages):
any receiver can inflate that, whatever context takeover it agreed to, so one
compressed copy serves every connection with the same window size.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from engineio import packet as eio_packet

from server.names import EV_BATCH

BATCH_EVENT = EV_BATCH  # the coalesced form: ["batch", [[event, data], ...]] (docs/protocol.md)

_TEXT = 0x81  # FIN + text opcode
_BINARY = 0x82  # FIN + binary opcode
_CLOSE = 0x88  # FIN + close opcode
_RSV1 = 0x40  # "this message is compressed" (permessage-deflate)
_DEFLATE_TAIL = b"\x00\x00\xff\xff"
_LEN2 = struct.Struct("!BBH").pack
_LEN8 = struct.Struct("!BBQ").pack
_CLOSE_CODE = struct.Struct("!H").pack

# Same separators as python-socketio, so both engines put the same text on the wire.
_dumps = json.JSONEncoder(separators=(",", ":")).encode


def frame(payload: bytes, first: int = _TEXT) -> bytes:
    """A complete, unmasked (server → client) websocket frame around ``payload``."""
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return _LEN2(first, 126, n) + payload
    return _LEN8(first, 127, n) + payload


def close_frame(code: int, reason: str) -> bytes:
    body = _CLOSE_CODE(code) + reason.encode()[:123]  # a control frame carries ≤ 125 bytes
    return frame(body, _CLOSE)


def deflate(payload: bytes, wbits: int) -> bytes:
    """One message compressed on its own (RFC 7692 §7.2.1: the trailing 00 00 ff ff dropped)."""
    # zlib needs at least 9 window bits for raw deflate; a smaller window the client asked
    # for is honoured by using 9, which RFC 7692 §7.1.2.1 allows for the server's side.
    compressor = zlib.compressobj(1, zlib.DEFLATED, -max(9, min(15, wbits)), 8)
    body = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return body[:-4] if body.endswith(_DEFLATE_TAIL) else body


def event_text(namespace: str, event: str, args: list[Any]) -> str:
    """The Engine.IO + Socket.IO text of an event; raises TypeError for non-JSON data."""
    head = "42" if namespace == "/" else "42" + namespace + ","
    return head + _dumps([event, *args])


def args_of(data: Any) -> list[Any]:
    """python-socketio's rule: a tuple is several arguments, None none, anything else one."""
    if isinstance(data, tuple):
        return list(data)
    return [] if data is None else [data]


class Outgoing:
    """One message for many connections: its text, plain frame and compressed frames."""

    __slots__ = ("_deflated", "_min_deflate", "frame", "payload", "text")

    def __init__(self, text: str, min_deflate: int = 1024) -> None:
        self.text = text
        self.payload = text.encode()
        self.frame = frame(self.payload)
        self._min_deflate = min_deflate
        self._deflated: dict[int, bytes] | None = None

    def for_window(self, wbits: int) -> bytes:
        """The frame for a connection that negotiated permessage-deflate with ``wbits``."""
        if not wbits or len(self.payload) < self._min_deflate:
            return self.frame
        cache = self._deflated
        if cache is None:
            cache = self._deflated = {}
        compressed = cache.get(wbits)
        if compressed is None:
            compressed = cache[wbits] = frame(deflate(self.payload, wbits), _TEXT | _RSV1)
        return compressed

    def packet(self) -> eio_packet.Packet:
        """The same message as an Engine.IO packet, for connections engineio still writes to."""
        pkt = eio_packet.Packet(eio_packet.MESSAGE, self.text[1:])
        pkt.encode_cache = self.text  # encoded already: engineio returns this as is
        return pkt


def packet_frame(encoded: str | bytes, wbits: int = 0, min_deflate: int = 1024) -> bytes:
    """The frame of one Engine.IO packet written to one connection (acks, pings, direct events)."""
    if isinstance(encoded, str):
        payload = encoded.encode()
        if wbits and len(payload) >= min_deflate:
            return frame(deflate(payload, wbits), _TEXT | _RSV1)
        return frame(payload)
    return frame(bytes(encoded), _BINARY)  # Engine.IO v4: binary messages travel raw
