"""``AsyncServer`` with the two hooks the live rooms need from python-socketio.

1. ``on_ready``: python-socketio sends the CONNECT packet *after* the connect
   handler returns, so anything emitted from that handler would reach the client
   before it knows it is connected. The namespace's ``on_ready(sid)`` runs right
   after the CONNECT went out: the room:welcome snapshot is taken there.
2. Binary packets: client events carrying binary attachments are refused with an
   error ack, and their attachments are dropped unread.

Both override private methods of python-socketio 5.x; the live tests pin the
behaviour so an upgrade that changes them fails loudly.
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet

from server.live.errors import BINARY_NOT_ALLOWED, fail

_BINARY_TYPES = (str(packet.BINARY_EVENT), str(packet.BINARY_ACK))


class LiveSocketServer(socketio.AsyncServer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._skip_attachments: dict[str, int] = {}

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        ns = namespace or "/"
        handler = self.namespace_handlers.get(ns)
        on_ready = getattr(handler, "on_ready", None)
        if on_ready is None:
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, ns)
        if sid is not None and self.manager.is_connected(sid, ns):
            await on_ready(sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if isinstance(data, bytes):
            left = self._skip_attachments.get(eio_sid, 0)
            if left:
                if left == 1:
                    del self._skip_attachments[eio_sid]
                else:
                    self._skip_attachments[eio_sid] = left - 1
            return  # attachments of a refused packet, or stray binary: never parsed
        if isinstance(data, str) and data[:1] in _BINARY_TYPES:
            pkt = self.packet_class(encoded_packet=data)
            if pkt.attachment_count:
                self._skip_attachments[eio_sid] = pkt.attachment_count
            if pkt.packet_type == packet.BINARY_EVENT and pkt.id is not None:
                await self._send_packet(
                    eio_sid,
                    self.packet_class(
                        packet.ACK,
                        namespace=pkt.namespace,
                        id=pkt.id,
                        data=[fail(BINARY_NOT_ALLOWED, "binary attachments are not accepted")],
                    ),
                )
            return
        await super()._handle_eio_message(eio_sid, data)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        self._skip_attachments.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid, reason)
