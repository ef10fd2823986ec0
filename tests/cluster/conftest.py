"""One cluster for the whole folder (starting it is the expensive part); each test gets it
whole again — a node, Redis, a scheduler or the PostgreSQL proxy a previous test broke is
put back first — plus fresh HTTP clients and accounts on its own event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.cluster.clients import Accounts, Http, LiveClient, Programme
from tests.cluster.topology import Topology


@dataclass
class World:
    topology: Topology
    organiser: dict[str, Any]
    programme_ids: dict[str, Any]


async def _seed(topology: Topology) -> World:
    accounts = Accounts(topology.db_url)
    try:
        organiser = await accounts.person("Olga Organiser", role="organiser")
        http = Http(topology.url, organiser["bearer"])
        try:
            programme = await Programme(topology.url, http, accounts).setup()
        finally:
            await http.close()
    finally:
        await accounts.close()
    return World(topology, organiser, programme.ids)


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    topology = Topology(tmp_path_factory.mktemp("cluster"))
    try:
        yield asyncio.run(_seed(topology))
    finally:
        topology.close()


@pytest.fixture
def cluster(world: World) -> Topology:
    world.topology.heal()
    return world.topology


@dataclass
class Stage:
    """What a test drives the cluster with."""

    cluster: Topology
    accounts: Accounts
    organiser: Http
    programme: Programme
    clients: list[LiveClient]

    async def client(self, url: str, person: dict[str, Any], session_id: int) -> LiveClient:
        token = await self.programme.token(person, session_id)
        return await self.connect(url, token, person["name"])

    async def connect(self, url: str, token: str, name: str) -> LiveClient:
        client = LiveClient(url, token, name)
        self.clients.append(client)
        return await client.connect()


@pytest.fixture
async def stage(cluster: Topology, world: World) -> AsyncIterator[Stage]:
    accounts = Accounts(cluster.db_url)
    organiser = Http(cluster.url, world.organiser["bearer"])
    programme = Programme(cluster.url, organiser, accounts, world.programme_ids)
    s = Stage(cluster, accounts, organiser, programme, [])
    try:
        yield s
    finally:
        await asyncio.gather(*(c.close() for c in s.clients))
        await organiser.close()
        await accounts.close()
