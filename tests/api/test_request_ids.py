"""Every response names its request: a sane id the caller sent, else one of ours."""

from __future__ import annotations

import os
import re

from aiohttp.test_utils import TestClient

from server.ops.logs import REQUEST_ID_HEADER, RequestIds

OURS = re.compile(r"^[0-9a-f]{32}$")


async def test_each_response_gets_its_own_id_or_the_callers(client: TestClient) -> None:
    seen = set()
    for _ in range(5):
        r = await client.get("/api/v1/agenda")
        seen.add(r.headers[REQUEST_ID_HEADER])
    assert len(seen) == 5 and all(OURS.match(i) for i in seen)

    r = await client.get("/api/v1/agenda", headers={REQUEST_ID_HEADER: "edge-7f3a.1"})
    assert r.headers[REQUEST_ID_HEADER] == "edge-7f3a.1"
    r = await client.get("/api/v1/agenda", headers={REQUEST_ID_HEADER: "no spaces; <please>"})
    assert OURS.match(r.headers[REQUEST_ID_HEADER])
    r = await client.get("/api/v1/sessions/999999")  # errors carry one too
    assert r.status == 404 and OURS.match(r.headers[REQUEST_ID_HEADER])


def test_ids_differ_between_processes_and_after_a_fork() -> None:
    ids = RequestIds()
    parent = [ids.next() for _ in range(3)]
    assert len(set(parent)) == 3
    assert RequestIds().next()[:16] != parent[0][:16]  # another process: another prefix

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it would send next
        os.write(write, ids.next().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert OURS.match(child) and child[:16] != parent[0][:16]
