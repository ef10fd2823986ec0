"""Identifiers and links that leave the service: calendar UIDs, frab GUIDs, join pages.

They are derived, never stored: the same session yields the same UID and GUID in
every export, so calendar apps and schedule tools update an entry instead of
adding a second one.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit


def base_url(public_url: str) -> str:
    return public_url.rstrip("/")


def host_of(public_url: str) -> str:
    return urlsplit(public_url).hostname or "localhost"


def join_url(public_url: str, session_id: int) -> str:
    """The session's join page (served by the web client)."""
    return f"{base_url(public_url)}/sessions/{session_id}"


def session_uid(public_url: str, session_id: int) -> str:
    return f"session-{session_id}@{host_of(public_url)}"


def namespace(public_url: str) -> uuid.UUID:
    """One namespace per installation, so two forumlive sites never share a GUID."""
    return uuid.uuid5(uuid.NAMESPACE_URL, base_url(public_url))


def guid(public_url: str, kind: str, ident: int) -> str:
    return str(uuid.uuid5(namespace(public_url), f"{kind}:{ident}"))
