"""Constants of the reference programme (WSIS Forum 2021).

Pure data, no I/O: the vocabulary every other layer (database seeds, API validation,
demo generator, balance report) agrees on.
"""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_TIMEZONE = "Europe/Geneva"

# The six official UN languages, English first because every session is held in it.
REFERENCE_LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "ar", "zh", "ru")

STAKEHOLDER_GROUPS: tuple[str, ...] = (
    "government",
    "private_sector",
    "civil_society",
    "academia",
    "international_organisation",
    "other",
)

# Self-declared and optional: a person may leave it unset (None), which the balance
# report counts as "not declared" rather than guessing.
GENDERS: tuple[str, ...] = ("woman", "man", "non_binary", "other")

ACTION_LINE_TITLES: dict[str, str] = {
    "C1": "The role of public governance authorities and all stakeholders "
    "in the promotion of ICTs for development",
    "C2": "Information and communication infrastructure",
    "C3": "Access to information and knowledge",
    "C4": "Capacity building",
    "C5": "Building confidence and security in the use of ICTs",
    "C6": "Enabling environment",
    "C7": "ICT applications: benefits in all aspects of life",
    "C8": "Cultural diversity and identity, linguistic diversity and local content",
    "C9": "Media",
    "C10": "Ethical dimensions of the Information Society",
    "C11": "International and regional cooperation",
}
ACTION_LINES: tuple[str, ...] = tuple(ACTION_LINE_TITLES)

SDGS: tuple[int, ...] = tuple(range(1, 18))
SDG_TITLES: dict[int, str] = {
    1: "No poverty",
    2: "Zero hunger",
    3: "Good health and well-being",
    4: "Quality education",
    5: "Gender equality",
    6: "Clean water and sanitation",
    7: "Affordable and clean energy",
    8: "Decent work and economic growth",
    9: "Industry, innovation and infrastructure",
    10: "Reduced inequalities",
    11: "Sustainable cities and communities",
    12: "Responsible consumption and production",
    13: "Climate action",
    14: "Life below water",
    15: "Life on land",
    16: "Peace, justice and strong institutions",
    17: "Partnerships for the goals",
}


@dataclass(frozen=True)
class SessionTypeSpec:
    key: str
    name: str
    default_duration_min: int
    # Interactive sessions get chat/Q&A/hand raising and a seat limit; broadcast ones
    # are watch-only streams, so capacity is None (unlimited).
    interactive: bool
    default_capacity: int | None


REFERENCE_SESSION_TYPES: tuple[SessionTypeSpec, ...] = (
    SessionTypeSpec("policy_statements", "Policy Statements", 90, False, None),
    SessionTypeSpec("high_level_dialogue", "High-Level Policy Dialogue", 60, True, 1000),
    SessionTypeSpec("prize_ceremony", "WSIS Prizes Ceremony", 90, False, None),
    SessionTypeSpec("ministerial_roundtable", "Ministerial Roundtable", 120, True, 500),
    SessionTypeSpec("action_line_facilitation", "Action Line Facilitation Meeting", 90, True, 500),
    SessionTypeSpec("country_workshop", "Country Workshop", 60, True, 300),
    SessionTypeSpec("thematic_workshop", "Thematic Workshop", 60, True, 300),
    SessionTypeSpec("training_session", "Training Session", 90, True, 100),
    SessionTypeSpec("special_session", "Special Session", 60, True, 500),
    SessionTypeSpec("knowledge_cafe", "Knowledge Café", 60, True, 50),
    SessionTypeSpec("hackathon", "Hackathon", 24 * 60, True, 200),
    SessionTypeSpec("exhibition", "Exhibition", 8 * 60, False, None),
)
SESSION_TYPES_BY_KEY: dict[str, SessionTypeSpec] = {t.key: t for t in REFERENCE_SESSION_TYPES}


@dataclass(frozen=True)
class TrackSpec:
    key: str
    name: str
    description: str


REFERENCE_TRACKS: tuple[TrackSpec, ...] = (
    TrackSpec(
        "high_level",
        "High-Level Track",
        "Policy statements, high-level policy dialogues, the WSIS Prizes ceremony "
        "and the ministerial roundtable.",
    ),
    TrackSpec(
        "forum",
        "Forum Track",
        "Action line facilitation meetings, country and thematic workshops, training "
        "sessions, special sessions, knowledge cafés, the hackathon and the exhibition.",
    ),
)

# In the reference programme a session type belongs to exactly one track.
HIGH_LEVEL_SESSION_TYPES: tuple[str, ...] = (
    "policy_statements",
    "high_level_dialogue",
    "prize_ceremony",
    "ministerial_roundtable",
)
TRACK_OF_SESSION_TYPE: dict[str, str] = {
    t.key: "high_level" if t.key in HIGH_LEVEL_SESSION_TYPES else "forum"
    for t in REFERENCE_SESSION_TYPES
}
