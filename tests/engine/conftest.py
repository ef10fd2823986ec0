"""The live rooms' fixtures (a session happening now, peers, a Redis of our own) reused."""

from tests.live.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    make_stage,
    peers,
    redis_server,
    redis_url,
    stage,
)
from tests.live.test_js_client import js_client  # noqa: F401
