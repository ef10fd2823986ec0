"""Panel balance rules: which panels lack a woman speaker or a second stakeholder group.

Pure: the session renderer (the ``warnings`` API field) and the organisers'
reports both ask these functions, so a warning and a report line can never
disagree about what "unbalanced" means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from server.domain.reference import ACTION_LINES, GENDERS, SDGS, STAKEHOLDER_GROUPS

NO_WOMAN_SPEAKER = "no_woman_speaker"
SINGLE_STAKEHOLDER_GROUP = "single_stakeholder_group"
WOMAN = "woman"
# Gender is self-declared and optional; the reports count the missing answer, never guess it.
UNDECLARED = "undeclared"

# A panel is two or more speakers. A single speaker is not a panel, and a warning on
# a one-speaker session would publish that one person's declared gender.
PANEL_MIN_SPEAKERS = 2


@dataclass(frozen=True)
class Speaker:
    gender: str | None
    stakeholder_group: str


def gender_key(gender: str | None) -> str:
    return gender or UNDECLARED


def has_woman(speakers: Iterable[Speaker]) -> bool:
    return any(p.gender == WOMAN for p in speakers)


def lacks_woman_speaker(speakers: Sequence[Speaker]) -> bool:
    """Speakers exist and none of them declared herself a woman (the report's list)."""
    return bool(speakers) and not has_woman(speakers)


def panel_warnings(speakers: Sequence[Speaker]) -> list[str]:
    """The composition warnings of a panel, as stable codes for clients to translate."""
    if len(speakers) < PANEL_MIN_SPEAKERS:
        return []
    warnings = []
    if not has_woman(speakers):
        warnings.append(NO_WOMAN_SPEAKER)
    if len({p.stakeholder_group for p in speakers}) == 1:
        warnings.append(SINGLE_STAKEHOLDER_GROUP)
    return warnings


def is_high_level(track_slug: str, track_name: str) -> bool:
    """The reference forum's High-Level Track, whatever the organiser's exact spelling."""
    slug = track_slug.replace("-", "_").casefold()
    name = track_name.casefold().replace("-", " ")
    return slug in ("high_level", "high_level_track", "hlt") or name.startswith("high level")


@dataclass(frozen=True)
class PanelSession:
    """What the balance reports need to know about one (not cancelled) session."""

    id: int
    title: str
    track_key: str
    track_name: str
    type_key: str
    type_name: str
    start_utc: datetime
    speakers: tuple[tuple[int, Speaker], ...]  # (person id, speaker), in panel order
    moderator_ids: tuple[int, ...]
    action_lines: tuple[str, ...] = ()
    sdgs: tuple[int, ...] = ()

    @property
    def high_level(self) -> bool:
        return is_high_level(self.track_key, self.track_name)

    @property
    def panel(self) -> list[Speaker]:
        return [speaker for _, speaker in self.speakers]


@dataclass(frozen=True)
class Counts:
    """``slots``: one per speaker per session. ``people``: one per person, however many
    panels they sit on. Both are given because they answer different questions: who
    is heard (slots) and who was invited (people)."""

    slots: dict[str, int]
    people: dict[str, int]


@dataclass(frozen=True)
class Breakdown:
    sessions: int
    speaker_slots: int
    speakers: int
    gender: Counts
    stakeholder_group: Counts


GENDER_KEYS: tuple[str, ...] = (*GENDERS, UNDECLARED)


def breakdown(sessions: Iterable[PanelSession]) -> Breakdown:
    slot_gender: Counter[str] = Counter()
    slot_group: Counter[str] = Counter()
    people: dict[int, Speaker] = {}
    count = 0
    for x in sessions:
        count += 1
        for person_id, speaker in x.speakers:
            slot_gender[gender_key(speaker.gender)] += 1
            slot_group[speaker.stakeholder_group] += 1
            people[person_id] = speaker
    people_gender = Counter(gender_key(p.gender) for p in people.values())
    people_group = Counter(p.stakeholder_group for p in people.values())
    groups = (*STAKEHOLDER_GROUPS, *sorted(set(slot_group) - set(STAKEHOLDER_GROUPS)))
    return Breakdown(
        sessions=count,
        speaker_slots=sum(slot_gender.values()),
        speakers=len(people),
        gender=Counts(
            slots={k: slot_gender[k] for k in GENDER_KEYS},
            people={k: people_gender[k] for k in GENDER_KEYS},
        ),
        stakeholder_group=Counts(
            slots={k: slot_group[k] for k in groups},
            people={k: people_group[k] for k in groups},
        ),
    )


def without_woman_speaker(sessions: Iterable[PanelSession]) -> list[PanelSession]:
    """Sessions with speakers but no declared woman among them: High-Level Track first."""
    found = [x for x in sessions if lacks_woman_speaker(x.panel)]
    return sorted(found, key=lambda x: (not x.high_level, x.start_utc, x.id))


def without_moderator(sessions: Iterable[PanelSession]) -> list[PanelSession]:
    found = [x for x in sessions if not x.moderator_ids]
    return sorted(found, key=lambda x: (not x.high_level, x.start_utc, x.id))


def tag_counts(sessions: Sequence[PanelSession]) -> tuple[dict[str, int], dict[int, int]]:
    """Sessions per action line and per SDG (a session counts once under each of its tags)."""
    lines = Counter(a for x in sessions for a in set(x.action_lines))
    sdgs = Counter(n for x in sessions for n in set(x.sdgs))
    return {a: lines[a] for a in ACTION_LINES}, {n: sdgs[n] for n in SDGS}
