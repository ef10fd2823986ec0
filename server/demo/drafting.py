"""Session drafts: what each session is (type, title, abstract, tags, languages,
panel size, duration, planned day), before it gets a room, a time and people."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Generic, TypeVar

from server.demo import names, themes
from server.demo.model import reference_final_days, reference_pre_event_days
from server.domain.reference import (
    ACTION_LINES,
    REFERENCE_LANGUAGES,
    SDG_TITLES,
    TRACK_OF_SESSION_TYPE,
)

# Deliberately all-male panels, so the gender balance report has something to flag.
ALL_MALE_PANELS_HIGH_LEVEL = 3
ALL_MALE_PANELS_FORUM = 7

T = TypeVar("T")

# (min, max) speakers per type.
_PANEL_SIZE: dict[str, tuple[int, int]] = {
    "policy_statements": (6, 10),
    "high_level_dialogue": (3, 6),
    "prize_ceremony": (2, 4),
    "ministerial_roundtable": (4, 6),
    "action_line_facilitation": (3, 6),
    "country_workshop": (2, 5),
    "thematic_workshop": (2, 6),
    "training_session": (2, 3),
    "special_session": (3, 6),
    "knowledge_cafe": (2, 4),
    "hackathon": (1, 1),
    "exhibition": (0, 0),
}

# Duration choices in minutes; repeats weight the draw.
_DURATIONS: dict[str, tuple[int, ...]] = {
    "policy_statements": (90,),
    "high_level_dialogue": (60, 60, 90),
    "prize_ceremony": (90,),
    "ministerial_roundtable": (120,),
    "action_line_facilitation": (90, 90, 120),
    "country_workshop": (60, 60, 90),
    "thematic_workshop": (60, 60, 60, 90),
    "training_session": (90, 90, 120),
    "special_session": (60, 90),
    "knowledge_cafe": (60,),
}


class Deck(Generic[T]):
    """Draw without replacement, reshuffling when empty: every item comes up once
    before any comes up twice, which guarantees coverage (all themes, all countries)
    instead of leaving it to chance."""

    def __init__(self, rng: random.Random, items: Sequence[T]) -> None:
        self._rng = rng
        self._items = list(items)
        self._pile: list[T] = []

    def draw(self) -> T:
        if not self._pile:
            self._pile = list(self._items)
            self._rng.shuffle(self._pile)
        return self._pile.pop()


def sorted_lines(lines: Sequence[str]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(lines))
    return tuple(sorted(unique, key=lambda code: int(code[1:])))


@dataclass
class Draft:
    """A session before it has a room, a time and a panel."""

    type_key: str
    title: str
    abstract: str
    day: date  # on the 2021 reference calendar
    phase: str  # "pre" | "final"
    duration_min: int
    n_speakers: int
    action_lines: tuple[str, ...]
    sdgs: tuple[int, ...]
    languages: tuple[str, ...]
    fixed_start: time | None = None
    country: str | None = None  # country workshops prefer speakers from the host
    all_male: bool = False
    placed: tuple[datetime, datetime, str] | None = None
    speakers: list[str] = field(default_factory=list)
    moderators: list[str] = field(default_factory=list)


class Drafter:
    """Builds drafts: titles, abstracts, tags, languages, panel size, duration."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.themes = Deck(rng, themes.THEMES)
        self.countries = Deck(rng, sorted(names.COUNTRIES))
        self.trainings = Deck(rng, themes.TRAINING_TOPICS)
        self.specials = Deck(rng, themes.SPECIAL_TRACKS)
        self.focuses = Deck(rng, themes.POLICY_STATEMENT_FOCUS)
        self.used_titles: set[str] = set()
        self.drafts: list[Draft] = []

    def _unique(self, *candidates: str) -> str:
        for title in candidates:
            if title not in self.used_titles:
                self.used_titles.add(title)
                return title
        base, n = candidates[-1], 2
        while f"{base} ({n})" in self.used_titles:
            n += 1
        self.used_titles.add(f"{base} ({n})")
        return f"{base} ({n})"

    def _languages(self, type_key: str, country: str | None) -> tuple[str, ...]:
        if TRACK_OF_SESSION_TYPE[type_key] == "high_level":
            return REFERENCE_LANGUAGES
        if type_key in ("hackathon", "exhibition"):
            return ("en",)
        extra: list[str] = []
        if country is not None and country in names.COUNTRY_UN_LANGUAGE:
            extra.append(names.COUNTRY_UN_LANGUAGE[country])
        else:
            roll = self.rng.random()
            if roll < 0.15:
                extra.append("fr")
            elif roll < 0.25:
                extra.append("es")
            elif roll < 0.30:
                extra += ["fr", "es"]
        return ("en", *(lang for lang in REFERENCE_LANGUAGES if lang in extra))

    def _tags(
        self, lines: Sequence[str], sdgs: Sequence[int]
    ) -> tuple[tuple[str, ...], tuple[int, ...]]:
        lines = list(dict.fromkeys(lines))[:3]
        if len(lines) < 3 and self.rng.random() < 0.25:
            lines.append(self.rng.choice(ACTION_LINES))
        goals = list(dict.fromkeys(sdgs))[:4]
        if len(goals) < 4 and self.rng.random() < 0.4:
            goals.append(self.rng.randint(1, 17))
        return sorted_lines(lines), tuple(sorted(set(goals)))

    def _abstract(
        self, opening: str, context: str | None, lines: Sequence[str], sdgs: Sequence[int]
    ) -> str:
        sentences = [opening] + ([context] if context else [])
        n_extra = self.rng.randint(max(0, 2 - len(sentences)), 4 - len(sentences))
        for template in self.rng.sample(themes.ABSTRACT_EXTRAS, n_extra):
            sentences.append(
                template.format(
                    action_line=lines[0],
                    sdg=sdgs[0],
                    sdg_title=SDG_TITLES[sdgs[0]].lower(),
                    region=self.rng.choice(names.REGIONAL_SCOPES),
                )
            )
        return " ".join(sentences)

    def add(
        self,
        type_key: str,
        day: date,
        phase: str,
        *,
        title: str,
        topic: str,
        context: str | None,
        lines: Sequence[str],
        sdgs: Sequence[int],
        country: str | None = None,
        special: str = "",
        action_line: str = "",
        duration_min: int | None = None,
        fixed_start: time | None = None,
    ) -> Draft:
        tags_lines, tags_sdgs = self._tags(lines, sdgs)
        opening = themes.ABSTRACT_OPENINGS[type_key].format(
            t=themes.decap(topic),
            action_line=action_line,
            country=names.country_name(country) if country else "",
            special=special,
        )
        low, high = _PANEL_SIZE[type_key]
        if duration_min is None:
            duration_min = self.rng.choice(_DURATIONS[type_key])
        draft = Draft(
            type_key=type_key,
            title=title,
            abstract=self._abstract(opening, context, tags_lines, tags_sdgs),
            day=day,
            phase=phase,
            duration_min=duration_min,
            n_speakers=self.rng.randint(low, high),
            action_lines=tags_lines,
            sdgs=tags_sdgs,
            languages=self._languages(type_key, country),
            fixed_start=fixed_start,
            country=country,
        )
        self.drafts.append(draft)
        return draft

    # One method per kind of session ------------------------------------------------

    def themed(self, type_key: str, day: date, phase: str) -> Draft:
        theme = self.themes.draw()
        region = self.rng.choice(names.REGIONAL_SCOPES)
        t, big_t = themes.decap(theme.title), theme.title
        country: str | None = None
        special = ""
        if type_key == "high_level_dialogue":
            title = self._unique(
                f"High-Level Policy Dialogue: {big_t}",
                f"High-Level Policy Dialogue: {big_t} in {region}",
            )
        elif type_key == "thematic_workshop":
            templates = list(themes.THEMATIC_TEMPLATES)
            self.rng.shuffle(templates)
            title = self._unique(*(tpl.format(T=big_t, t=t, region=region) for tpl in templates))
        elif type_key == "country_workshop":
            country = self.countries.draw()
            title = self._unique(f"Country Workshop — {names.country_name(country)}: {big_t}")
        elif type_key == "special_session":
            special = self.specials.draw()
            title = self._unique(
                f"Special Session — {special}: {big_t}",
                f"Special Session — {special}: {big_t} in {region}",
            )
        elif type_key == "knowledge_cafe":
            title = self._unique(f"Knowledge Café: {big_t}", f"Knowledge Café: {big_t} in {region}")
        else:
            raise ValueError(f"not a themed session type: {type_key}")
        return self.add(
            type_key, day, phase, title=title, topic=theme.title, context=theme.context,
            lines=theme.action_lines, sdgs=theme.sdgs, country=country, special=special,
        )  # fmt: skip

    def facilitation(self, line: themes.FacilitationLine, day: date, phase: str) -> Draft:
        related = [th for th in themes.THEMES if line.code in th.action_lines]
        theme = self.rng.choice(related)
        return self.add(
            "action_line_facilitation", day, phase,
            title=self._unique(f"Action Line {line.code} ({line.label}) Facilitation Meeting"),
            topic=theme.title, context=theme.context,
            lines=(line.code, *theme.action_lines), sdgs=theme.sdgs,
            action_line=f"{line.code} ({line.label})",
        )  # fmt: skip

    def training(self, day: date, phase: str) -> Draft:
        topic = self.trainings.draw()
        formats = list(themes.TRAINING_FORMATS)
        self.rng.shuffle(formats)
        title = self._unique(*(f"Training: {topic.title} ({fmt})" for fmt in formats))
        return self.add(
            "training_session", day, phase, title=title, topic=topic.title, context=None,
            lines=topic.action_lines, sdgs=topic.sdgs,
        )  # fmt: skip

    def policy_statements(self, number: int, day: date) -> Draft:
        focus, lines, sdgs = self.focuses.draw()
        return self.add(
            "policy_statements", day, "final",
            title=self._unique(f"Policy Statements {number}: {focus}"),
            topic=focus, context=None, lines=lines, sdgs=sdgs,
        )  # fmt: skip

    def fixed(
        self,
        type_key: str,
        spec: tuple[str, tuple[str, ...], tuple[int, ...]],
        day: date,
        *,
        topic: str = "",
        duration_min: int | None = None,
        fixed_start: time | None = None,
    ) -> Draft:
        title, lines, sdgs = spec
        return self.add(
            type_key, day, "final", title=self._unique(title), topic=topic or title,
            context=None, lines=lines, sdgs=sdgs, duration_min=duration_min,
            fixed_start=fixed_start,
        )  # fmt: skip


def _spread(rng: random.Random, count: int, days: Sequence[date]) -> list[date]:
    """``count`` days cycling evenly over ``days`` in random order."""
    out = [days[i % len(days)] for i in range(count)]
    rng.shuffle(out)
    return out


# How many sessions of each type, per phase.
PRE_EVENT_COUNTS: dict[str, int] = {
    "action_line_facilitation": 10,
    "country_workshop": 10,
    "thematic_workshop": 24,
    "training_session": 10,
    "special_session": 10,
    "knowledge_cafe": 6,
}
FINAL_WEEK_COUNTS: dict[str, int] = {
    "policy_statements": 10,
    "high_level_dialogue": 24,
    "prize_ceremony": len(themes.PRIZE_CEREMONIES),
    "ministerial_roundtable": len(themes.MINISTERIAL_ROUNDTABLES),
    "action_line_facilitation": len(themes.FACILITATION_LINES) - 10,
    "country_workshop": 14,
    "thematic_workshop": 110,
    "training_session": 18,
    "special_session": 26,
    "knowledge_cafe": 12,
    "hackathon": 1,
    "exhibition": len(themes.EXHIBITIONS),
}


def draft_sessions(rng: random.Random) -> list[Draft]:
    drafter = Drafter(rng)
    final_days = reference_final_days()
    first_day, last_day = final_days[0], final_days[-1]

    # Long-running items first, so they get their fixed slots.
    drafter.fixed(
        "hackathon", themes.HACKATHON, first_day, topic="ICTs and older persons",
        duration_min=2 * 24 * 60, fixed_start=time(0),
    )  # fmt: skip
    for day, spec in zip(final_days, themes.EXHIBITIONS, strict=True):
        drafter.fixed("exhibition", spec, day, duration_min=24 * 60, fixed_start=time(0))
    for day, spec in zip((first_day, last_day), themes.PRIZE_CEREMONIES, strict=True):
        drafter.fixed("prize_ceremony", spec, day)
    for day, spec in zip(final_days[1::2], themes.MINISTERIAL_ROUNDTABLES, strict=True):
        drafter.fixed("ministerial_roundtable", spec, day, topic=spec[0].split(": ", 1)[1])
    n_statements = FINAL_WEEK_COUNTS["policy_statements"]
    for number in range(1, n_statements + 1):
        day = final_days[(number - 1) * len(final_days) // n_statements]
        drafter.policy_statements(number, day)

    # Each facilitation meeting happens once: some as pre-events, the rest in May.
    lines = list(themes.FACILITATION_LINES)
    rng.shuffle(lines)
    n_pre = PRE_EVENT_COUNTS["action_line_facilitation"]
    pre_days = reference_pre_event_days()
    for line in lines[:n_pre]:
        drafter.facilitation(line, rng.choice(pre_days), "pre")
    for line, day in zip(lines[n_pre:], _spread(rng, len(lines) - n_pre, final_days), strict=True):
        drafter.facilitation(line, day, "final")

    for type_key, count in FINAL_WEEK_COUNTS.items():
        if type_key in (
            "high_level_dialogue",
            "country_workshop",
            "thematic_workshop",
            "special_session",
            "knowledge_cafe",
        ):
            for day in _spread(rng, count, final_days):
                drafter.themed(type_key, day, "final")
        elif type_key == "training_session":
            for day in _spread(rng, count, final_days):
                drafter.training(day, "final")
    for type_key, count in PRE_EVENT_COUNTS.items():
        for _ in range(count):
            day = rng.choice(pre_days)
            if type_key == "training_session":
                drafter.training(day, "pre")
            elif type_key != "action_line_facilitation":
                drafter.themed(type_key, day, "pre")

    _mark_all_male(rng, drafter.drafts)
    return drafter.drafts


def _mark_all_male(rng: random.Random, drafts: list[Draft]) -> None:
    """Pick the panels that will be all-male on purpose, for the balance report."""
    high_level = [
        d for d in drafts
        if TRACK_OF_SESSION_TYPE[d.type_key] == "high_level" and d.n_speakers >= 2
        and d.type_key != "prize_ceremony"
    ]  # fmt: skip
    forum = [
        d for d in drafts
        if TRACK_OF_SESSION_TYPE[d.type_key] == "forum" and d.n_speakers >= 2
    ]  # fmt: skip
    for draft in rng.sample(high_level, ALL_MALE_PANELS_HIGH_LEVEL):
        draft.all_male = True
    for draft in rng.sample(forum, ALL_MALE_PANELS_FORUM):
        draft.all_male = True
