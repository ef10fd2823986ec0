"""Protocol compatibility: the official JavaScript client (npm socket.io-client) under node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live.support import Stage

JS = Path(__file__).parent / "js"
XSS = "<img src=x onerror=alert(1)> & </script> \"'"


@pytest.fixture(scope="session")
def js_client() -> Path:
    """``npm ci`` the pinned socket.io-client into tests/live/js/node_modules when missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "node and npm are needed for the protocol tests"
    if not (JS / "node_modules" / "socket.io-client").is_dir():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS, check=True, capture_output=True
        )
    return JS / "scenario.mjs"


async def test_the_official_js_client_speaks_the_live_protocol(
    stage: Stage, js_client: Path
) -> None:
    a, b = await stage.quick_user("Ada"), await stage.quick_user("Ben")
    env = {
        **os.environ,
        "LIVE_URL": stage.url(),
        "TOKEN_A": await stage.quick_token(a),
        "TOKEN_B": await stage.quick_token(b),
        "TOKEN_MOD": await stage.quick_token(stage.moderator),
        "XSS_TEXT": XSS,
    }
    proc = await asyncio.create_subprocess_exec(
        "node", str(js_client), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout)

    assert out["no_token"]["data"]["code"] == "missing_token"
    bad = out["bad_token"]  # err.message, and err.data = {code, message}
    assert bad["data"]["code"] == "invalid_token"
    assert bad["message"] == bad["data"]["message"] and bad["message"]
    assert out["welcome_a"]["you"] == {
        "public_id": a["public_id"],
        "name": "Ada",
        "role": "participant",
    }
    assert out["send_ack"]["ok"] is True and out["send_ack"]["seq"] == 1
    assert out["received_by_b"]["text"] == XSS
    assert out["unknown_ack"]["error"]["code"] == "unknown_event"
    assert out["malformed_ack"]["error"]["code"] == "invalid_payload"
    assert out["binary_ack"]["error"]["code"] == "binary_not_allowed"
    assert out["still_ok_ack"]["seq"] == 2
    assert out["b_last_seq"] == 2
    chat = out["resume_welcome"]["chat"]
    assert chat["recovered"] is True
    assert [m["text"] for m in chat["messages"]] == ["missed 0", "missed 1", "missed 2"]
    assert out["ban_ack"]["ok"] is True
    assert out["kicked"]["code"] == "banned"
    assert out["disconnect_reason"] == "io server disconnect"
    assert out["banned_again"]["data"]["code"] == "banned"
