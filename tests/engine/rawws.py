"""A websocket client on a bare socket: it reads only when told to, and sees every frame bit.

The engine tests need what no ready-made client offers: a peer that stops reading
(its receive buffer made tiny, so the server's backlog builds up quickly), and the raw
frames (RSV1 for permessage-deflate, the close code and reason).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any
from urllib.parse import urlsplit


class RawWebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.extensions = ""

    @classmethod
    async def open(
        cls, base_url: str, *, rcvbuf: int | None = None, extensions: str | None = None
    ) -> RawWebSocket:
        url = urlsplit(base_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:  # before connect: the TCP window is fixed at the handshake
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (url.hostname, url.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2**20)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1",
            f"Host: {url.hostname}:{url.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
        ]
        if extensions:
            lines.append(f"Sec-WebSocket-Extensions: {extensions}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        assert head.startswith("HTTP/1.1 101"), head
        ws = cls(reader, writer)
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-extensions":
                ws.extensions = value.strip()
        return ws

    async def frame(self, timeout: float = 5) -> tuple[int, bytes]:
        """(first byte, payload) of the next frame."""
        head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
        n = head[1] & 0x7F
        if n == 126:
            n = int.from_bytes(await self.reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await self.reader.readexactly(8), "big")
        return head[0], await self.reader.readexactly(n)

    async def text(self, timeout: float = 5) -> str:
        """The next text message, skipping Engine.IO pings (answered)."""
        while True:
            first, payload = await self.frame(timeout)
            assert first & 0x0F == 1, f"expected a text frame, got {first:#x}"
            text = payload.decode()
            if text == "2":  # Engine.IO ping: a client must answer
                await self.send("3")
                continue
            return text

    async def send(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        short = n < 126
        head = bytes((0x81, 0x80 | (n if short else 126))) + (
            b"" if short else n.to_bytes(2, "big")
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + masked)
        await self.writer.drain()

    async def join_live(self, token: str) -> dict[str, Any]:
        """Engine.IO open, Socket.IO connect to /live with the token; returns the welcome."""
        opened = await self.text()
        assert opened.startswith("0{"), opened
        await self.send("40/live," + json.dumps({"token": token}))
        connected = await self.text()
        assert connected.startswith("40/live,"), connected
        welcome = await self.text()
        assert welcome.startswith('42/live,["room:welcome"'), welcome
        return json.loads(welcome[len("42/live,") :])[1]

    def close(self) -> None:
        self.writer.transport.abort()
