"""Client events routed by name to feature handlers, each declaring the roles it needs.

Feature modules fill a ``Router`` with ``@router.on(EVENT, Model, roles=...)``; the
namespace merges the routers and, for every event, checks the role, validates the
payload with the model, runs the handler and turns its result into the ack.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from server.live.conn import Conn
    from server.live.context import LiveContext

ANYONE: frozenset[str] | None = None
MODERATORS = frozenset({"moderator"})
CAPTIONERS = frozenset({"captioner", "moderator"})

Handler = Callable[["LiveContext", "Conn", Any], Awaitable[dict[str, Any] | None]]


class Payload(BaseModel):
    """Base of every client payload: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Empty(Payload):
    pass


@dataclass(frozen=True)
class Route:
    event: str
    model: type[Payload]
    roles: frozenset[str] | None
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}

    def on(
        self, event: str, model: type[Payload] = Empty, roles: frozenset[str] | None = ANYONE
    ) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            if event in self.routes:
                raise ValueError(f"{event} is routed twice")
            self.routes[event] = Route(event, model, roles, fn)
            return fn

        return register


def merge(*routers: Router) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for router in routers:
        for event, route in router.routes.items():
            if event in routes:
                raise ValueError(f"{event} is routed twice")
            routes[event] = route
    return routes
