"""Tracks, session types and rooms of an event."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from server.api.crud import Catalogue, add_catalogue_routes, patch_schema
from server.api.fields import Capacity, Id, LongText, Name, Slug
from server.api.models import RoomOut, SessionTypeOut, TrackOut
from server.db.tables import Room, SessionType, Track

routes = web.RouteTableDef()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrackIn(_In):
    event_id: Id | None = Field(default=None, description="defaults to the current event")
    slug: Slug
    name: Name
    description: LongText = ""


class TrackPatch(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=patch_schema(Track))

    slug: Slug | None = None
    name: Name | None = None
    description: LongText | None = None


class SessionTypeIn(_In):
    event_id: Id | None = None
    key: Slug
    name: Name
    default_duration_min: int = Field(ge=5, le=7 * 24 * 60)
    interactive: bool
    default_capacity: Capacity | None = None


class SessionTypePatch(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=patch_schema(SessionType))

    key: Slug | None = None
    name: Name | None = None
    default_duration_min: int | None = Field(default=None, ge=5, le=7 * 24 * 60)
    interactive: bool | None = None
    default_capacity: Capacity | None = None


class RoomIn(_In):
    event_id: Id | None = None
    slug: Slug
    name: Name
    capacity: Capacity


class RoomPatch(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra=patch_schema(Room))

    slug: Slug | None = None
    name: Name | None = None
    capacity: Capacity | None = None


for catalogue in (
    Catalogue(Track, "track", "/api/v1/tracks", TrackIn, TrackPatch, TrackOut, "slug", "track_id"),
    Catalogue(
        SessionType,
        "session_type",
        "/api/v1/session-types",
        SessionTypeIn,
        SessionTypePatch,
        SessionTypeOut,
        "key",
        "type_id",
    ),
    Catalogue(Room, "room", "/api/v1/rooms", RoomIn, RoomPatch, RoomOut, "slug", "room_id"),
):
    add_catalogue_routes(routes, catalogue)
