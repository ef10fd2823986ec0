"""Encoding once: the bytes on the wire are what python-socketio and RFC 6455/7692 say."""

from __future__ import annotations

import zlib

import pytest
from socketio import packet as sio_packet

from server.live.engine.frames import (
    BATCH_EVENT,
    Outgoing,
    args_of,
    close_frame,
    deflate,
    event_text,
    frame,
    packet_frame,
)


def parse(data: bytes) -> tuple[int, bytes]:
    """(first byte, payload) of one unmasked frame."""
    first, n = data[0], data[1] & 0x7F
    offset = 2
    if n == 126:
        n, offset = int.from_bytes(data[2:4], "big"), 4
    elif n == 127:
        n, offset = int.from_bytes(data[2:10], "big"), 10
    assert data[1] & 0x80 == 0, "server frames are never masked"
    assert len(data) == offset + n
    return first, data[offset:]


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_frame_lengths_use_the_shortest_header(size: int) -> None:
    payload = b"x" * size
    first, body = parse(frame(payload))
    assert first == 0x81 and body == payload
    assert len(frame(payload)) - size == (2 if size < 126 else 4 if size < 65536 else 10)


def test_event_text_is_what_python_socketio_encodes() -> None:
    data = {"seq": 3, "text": "héllo <b>", "author": {"name": "Ada"}, "n": [1, 2.5, None, True]}
    ours = event_text("/live", "chat:message", [data])
    theirs = (
        "4"
        + sio_packet.Packet(
            sio_packet.EVENT, namespace="/live", data=["chat:message", data]
        ).encode()
    )
    assert ours == theirs
    assert event_text("/", "x", []) == "42" + '["x"]'


def test_args_follow_python_socketio() -> None:
    assert args_of(None) == []
    assert args_of((1, 2)) == [1, 2]
    assert args_of({"a": 1}) == [{"a": 1}]


def test_non_json_data_is_refused_not_mangled() -> None:
    with pytest.raises(TypeError):
        event_text("/live", "x", [b"bytes"])


def test_one_outgoing_serves_every_connection_and_engineio() -> None:
    out = Outgoing(event_text("/live", "chat:message", [{"seq": 1}]))
    assert parse(out.frame)[1] == out.payload == out.text.encode()
    assert out.for_window(0) is out.frame  # no deflate: the same bytes object for all
    pkt = out.packet()
    assert pkt.encode() == out.text  # engineio writes exactly this for polling clients


def test_deflate_is_once_per_window_and_inflates_with_or_without_context() -> None:
    big = {"text": "chat " * 400}
    out = Outgoing(event_text("/live", "chat:message", [big]), min_deflate=1024)
    compressed = out.for_window(15)
    assert out.for_window(15) is compressed  # compressed once, reused
    first, body = parse(compressed)
    assert first == 0xC1  # FIN + RSV1 (compressed) + text
    # A receiver that keeps its context (the default) inflates it, twice in a row.
    inflater = zlib.decompressobj(-15)
    for _ in range(2):
        assert inflater.decompress(body + b"\x00\x00\xff\xff") == out.payload
    # A small message stays uncompressed even on a deflate connection.
    small = Outgoing(event_text("/live", "presence:count", [{"count": 3}]), min_deflate=1024)
    assert small.for_window(15) is small.frame


def test_direct_packets_and_close_frames() -> None:
    assert parse(packet_frame("3"))[1] == b"3"
    first, body = parse(packet_frame(b"\x01\x02"))
    assert first == 0x82 and body == b"\x01\x02"
    first, body = parse(close_frame(1013, "slow_consumer"))
    assert first == 0x88 and body == b"\x03\xf5slow_consumer"
    assert len(parse(close_frame(1000, "x" * 500))[1]) == 125  # control frames: ≤ 125 bytes
    assert zlib.decompressobj(-9).decompress(deflate(b"a" * 3000, 9) + b"\x00\x00\xff\xff")


def test_the_batch_event_name() -> None:
    assert BATCH_EVENT == "batch"
