"""The broadcast engine: frame-once fan-out for Socket.IO over aiohttp (docs/benchmarks.md).

- ``frames``   encode an event once: Socket.IO packet, Engine.IO packet, websocket frame
- ``link``     one connection's outgoing side: writes to its transport, bounded, cuts
               slow consumers
- ``engine``   the node's links, room delivery in one pass, per-room coalescing
- ``manager``  python-socketio managers whose local delivery is the engine
- ``fanout``   the live rooms' ``Fanout`` on the engine
- ``wire``     the only module touching python-engineio / aiohttp websocket internals
- ``setup``    builds all of it from ``Settings`` (``FORUMLIVE_LIVE_ENGINE``)
- ``runtime``  uvloop and garbage-collector tuning for the server processes
"""
