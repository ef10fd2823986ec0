"""The one i18n table per language: English and French complete and in step with the code.

Keys the JavaScript names literally must exist; keys it builds (``stakeholder.${g}``)
must cover every value the server can send; both tables have the same keys, the
same plural forms and the same placeholders; no key is left unused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from server.domain.reference import (
    ACTION_LINES,
    GENDERS,
    REFERENCE_SESSION_TYPES,
    REFERENCE_TRACKS,
    SDGS,
    STAKEHOLDER_GROUPS,
)
from server.live.reactions import KINDS
from server.streaming.config import PROVIDERS
from server.web import DEFAULT_WEB_DIR

LANGS = ("en", "fr")
STATES = ("scheduled", "lobby", "live", "ended", "cancelled")
CONFLICT_KINDS = ("room_overlap", "person_overlap", "outside_phases", "end_before_start")
LITERAL = re.compile(r"\bt\(\s*'([a-z0-9_.]+)'")
# Any dotted string literal may be a key handed to t() later (tables of keys, ternaries).
QUOTED = re.compile(r"'([a-z0-9_]+(?:\.[a-z0-9_]+)+)'")
# Keys built from a prefix: `stakeholder.${g}`, and refName('type', ...) -> type.<key>.
BUILT = re.compile(r"`([a-z0-9_]+(?:\.[a-z0-9_]+)*[._])\$\{")
REF_NAME = re.compile(r"refName\(\s*'([a-z]+)'")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _table(lang: str) -> dict[str, Any]:
    return json.loads((DEFAULT_WEB_DIR / "i18n" / f"{lang}.json").read_text(encoding="utf-8"))


def _sources() -> str:
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((DEFAULT_WEB_DIR / "js").rglob("*.js"))
    )


def _built_prefixes(source: str) -> set[str]:
    return set(BUILT.findall(source)) | {f"{kind}." for kind in REF_NAME.findall(source)}


def _texts(value: Any) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else [value]


def test_english_and_french_have_the_same_keys_forms_and_placeholders() -> None:
    en, fr = _table("en"), _table("fr")
    assert sorted(set(en) ^ set(fr)) == []
    for key, value in en.items():
        other = fr[key]
        assert type(value) is type(other), key
        if isinstance(value, dict):
            assert set(value) == set(other) == {"one", "other"}, key
        for text in _texts(value) + _texts(other):
            assert isinstance(text, str) and text.strip(), key
        wanted = {frozenset(PLACEHOLDER.findall(t)) for t in _texts(value)}
        got = {frozenset(PLACEHOLDER.findall(t)) for t in _texts(other)}
        assert wanted == got, f"{key}: {wanted} != {got}"


def test_every_key_the_code_names_exists() -> None:
    en = _table("en")
    named = set(LITERAL.findall(_sources()))
    assert named, "no t('...') found: the pattern no longer matches the code"
    assert sorted(named - set(en)) == []


@pytest.mark.parametrize(
    ("prefix", "values"),
    [
        ("stakeholder.", STAKEHOLDER_GROUPS),
        ("gender.", GENDERS),
        ("al.", ACTION_LINES),
        ("sdg.", [str(n) for n in SDGS]),
        ("type.", [t.key for t in REFERENCE_SESSION_TYPES]),
        ("track.", [t.key for t in REFERENCE_TRACKS]),
        ("state.", STATES),
        ("reaction.", KINDS),
        ("provider.", PROVIDERS),
        ("conflict.", CONFLICT_KINDS),
        ("role.", ("participant", "moderator", "organiser")),
        ("live.role_", ("participant", "speaker", "moderator", "captioner")),
        ("poll.state_", ("draft", "open", "closed")),
        ("player.health_", ("live", "offline")),
    ],
)
def test_built_keys_cover_what_the_server_sends(prefix: str, values: tuple[str, ...]) -> None:
    en = _table("en")
    assert prefix in _built_prefixes(_sources()), f"the code no longer builds {prefix} keys"
    assert sorted(f"{prefix}{v}" for v in values if f"{prefix}{v}" not in en) == []


def test_reference_names_match_so_the_programme_is_translated() -> None:
    """refName() translates a track or type only while it still has its reference name."""
    en = _table("en")
    for spec in REFERENCE_SESSION_TYPES:
        assert en[f"type.{spec.key}"] == spec.name
    for track in REFERENCE_TRACKS:
        assert en[f"track.{track.key}"] == track.name


def test_no_key_is_unused() -> None:
    source = _sources()
    named = set(QUOTED.findall(source))
    prefixes = tuple(_built_prefixes(source))
    unused = [k for k in _table("en") if k not in named and not k.startswith(prefixes)]
    assert unused == []


def test_conflict_kinds_are_the_ones_the_domain_produces() -> None:
    """The kinds are string literals in server/domain/conflicts.py; a renamed one fails here."""
    text = (Path(__file__).resolve().parents[2] / "server" / "domain" / "conflicts.py").read_text(
        encoding="utf-8"
    )
    produced = set(re.findall(r'^\s+"([a-z_]+)",$', text, flags=re.MULTILINE))
    assert set(CONFLICT_KINDS) <= produced
