"""CSV import of sessions and the people they name (columns documented in docs/import.md).

One row is one session, and the whole truth about it: a re-import of a row with
the same ``key`` replaces that session's fields. Times are wall-clock times in
the event's zone. People are written ``Name | Organisation | Country |
stakeholder_group | gender`` and separated by ``;``; an existing person is found
by name and organisation, so only new people need the other parts.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from typing import Annotated

from pydantic import Field, StringConstraints, TypeAdapter

from server.api.fields import (
    ActionLine,
    Capacity,
    Country,
    Gender,
    LanguageCode,
    LongText,
    Name,
    Sdg,
    StakeholderGroup,
    Title,
)
from server.exchange.plan import Checker, ImportPlan, PersonSpec, SessionSpec

# column -> what it holds; the order is the documented order.
COLUMNS: dict[str, str] = {
    "key": "optional; your own stable id for the row: a re-import updates that session",
    "title": "required; up to 300 characters",
    "abstract": "optional",
    "track": "required; track slug or name (the track must exist)",
    "type": "required; session type key or name (must exist)",
    "room": "required; room slug or name (must exist)",
    "date": "required; YYYY-MM-DD, in the event's time zone",
    "start": "required; HH:MM, in the event's time zone",
    "end": "HH:MM the same day, or YYYY-MM-DD HH:MM; or leave empty",
    "duration_min": "minutes, instead of end; neither: the session type's default length",
    "languages": "language codes separated by ';' (default en)",
    "action_lines": "WSIS Action Lines separated by ';', e.g. C1;C7",
    "sdgs": "SDG numbers separated by ';', e.g. 4;9",
    "capacity": "seats; empty: the type's default; 'unlimited': no limit",
    "open_to_all": "yes/no: any registered participant may join without signing up",
    "speakers": "people separated by ';', each Name | Organisation | Country | group | gender",
    "moderators": "as speakers",
}
REQUIRED = ("title", "track", "type", "room", "date", "start")
MAX_ROWS = 20_000
_LIST_LIMIT = 50

_KEY = TypeAdapter(
    Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
)
_TITLE = TypeAdapter(Title)
_ABSTRACT = TypeAdapter(LongText)
_REF = TypeAdapter(Annotated[str, StringConstraints(min_length=1, max_length=200)])
_NAME = TypeAdapter(Name)
_COUNTRY = TypeAdapter(Country)
_GROUP = TypeAdapter(StakeholderGroup)
_GENDER = TypeAdapter(Gender)
_LANGUAGES = TypeAdapter(list[LanguageCode])
_ACTION_LINES = TypeAdapter(list[ActionLine])
_SDGS = TypeAdapter(list[Sdg])
_CAPACITY = TypeAdapter(Capacity)
_DURATION = TypeAdapter(Annotated[int, Field(ge=5, le=7 * 24 * 60)])
_BOOLEANS = {"yes": True, "true": True, "1": True, "no": False, "false": False, "0": False}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def _items(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def _clock(text: str) -> time | None:
    m = _CLOCK.match(text.strip())
    if not m:
        return None
    try:
        return time(int(m[1]), int(m[2]), int(m[3] or 0))
    except ValueError:
        return None


def _end(text: str, day: date | None) -> datetime | None:
    """``HH:MM`` on the session's day, or a full date and time."""
    clock = _clock(text)
    if clock is not None:
        return datetime.combine(day, clock) if day else None
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1)).replace(tzinfo=None)
    except ValueError:
        return None


def _people(cell: str, row: int, column: str, check: Checker) -> list[PersonSpec]:
    people = []
    items = _items(cell)
    if len(items) > _LIST_LIMIT:
        check.plan.error(row, column, f"at most {_LIST_LIMIT} people")
        check.failed = True
        return []
    for n, item in enumerate(items, start=1):
        parts = [p.strip() for p in item.split("|")]
        if len(parts) > 5:
            check.plan.error(
                row,
                column,
                f"person {n}: at most 5 parts (name | organisation | country | group | gender)",
            )
            check.failed = True
            continue
        parts += [""] * (5 - len(parts))
        name, organisation, country, group, gender = parts
        where = f"{column} (person {n})"
        spec = PersonSpec(
            name=check(_NAME, name, row, where) or "",
            organisation=(check(_NAME, organisation, row, where) or "") if organisation else "",
            country=check(_COUNTRY, country, row, where) if country else None,
            stakeholder_group=check(_GROUP, group, row, where) if group else None,
            gender=check(_GENDER, gender, row, where) if gender else None,
        )
        people.append(spec)
    return people


def _row(values: dict[str, str], row: int, plan: ImportPlan) -> SessionSpec:
    check = Checker(plan)
    v = {k: (values.get(k) or "").strip() for k in COLUMNS}
    for column in REQUIRED:
        if not v[column]:
            plan.error(row, column, "required")
            check.failed = True
    key = check(_KEY, v["key"], row, "key") if v["key"] else None
    title = check(_TITLE, v["title"], row, "title") if v["title"] else None
    abstract = check(_ABSTRACT, values.get("abstract") or "", row, "abstract")
    refs = {c: check(_REF, v[c], row, c) for c in ("track", "type", "room") if v[c]}
    day: date | None = None
    if v["date"]:
        try:
            day = date.fromisoformat(v["date"])
        except ValueError:
            plan.error(row, "date", f"not a date (YYYY-MM-DD): {v['date']!r}")
            check.failed = True
    clock = _clock(v["start"]) if v["start"] else None
    if v["start"] and clock is None:
        plan.error(row, "start", f"not a time (HH:MM): {v['start']!r}")
        check.failed = True
    end = None
    if v["end"]:
        end = _end(v["end"], day)
        if end is None and (day is not None or _clock(v["end"]) is None):
            plan.error(row, "end", f"not a time (HH:MM or YYYY-MM-DD HH:MM): {v['end']!r}")
            check.failed = True
    duration = None
    if v["duration_min"]:
        if v["end"]:
            plan.error(row, "duration_min", "give end or duration_min, not both")
            check.failed = True
        else:
            duration = check(_DURATION, v["duration_min"], row, "duration_min")
    languages = check(_LANGUAGES, _items(v["languages"]) or ["en"], row, "languages")
    action_lines = check(
        _ACTION_LINES, [a.upper() for a in _items(v["action_lines"])], row, "action_lines"
    )
    sdgs = check(_SDGS, _items(v["sdgs"]), row, "sdgs")
    capacity, capacity_set = None, False
    if v["capacity"].lower() == "unlimited":
        capacity_set = True
    elif v["capacity"]:
        capacity, capacity_set = check(_CAPACITY, v["capacity"], row, "capacity"), True
    open_to_all = None
    if v["open_to_all"]:
        open_to_all = _BOOLEANS.get(v["open_to_all"].lower())
        if open_to_all is None:
            plan.error(row, "open_to_all", f"yes or no, not {v['open_to_all']!r}")
            check.failed = True
    speakers = _people(v["speakers"], row, "speakers", check)
    moderators = _people(v["moderators"], row, "moderators", check)
    return SessionSpec(
        row=row,
        key=key,
        title=title or "",
        abstract=abstract or "",
        track=refs.get("track"),
        type=refs.get("type"),
        room=refs.get("room"),
        start=datetime.combine(day, clock) if day and clock else None,
        end=end,
        duration_min=duration,
        languages=languages,
        action_lines=action_lines,
        sdgs=sdgs,
        capacity=capacity,
        capacity_set=capacity_set,
        open_to_all=open_to_all,
        speakers=speakers,
        moderators=moderators,
        complete=not check.failed,
    )


def parse_csv(text: str, max_rows: int = MAX_ROWS) -> ImportPlan:
    """Every row checked; rows with errors are reported and left out of the plan.

    Row numbers are the spreadsheet's: the header is row 1, the first session row 2.
    """
    plan = ImportPlan(format="csv", rows=0)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        plan.error(1, "", "the file is empty; the first row must name the columns")
        return plan
    except csv.Error as exc:
        plan.error(1, "", f"not readable as CSV: {exc}")
        return plan
    names = [h.strip().lower() for h in header]
    for name in names:
        if name and name not in COLUMNS:
            plan.error(1, name, "unknown column (see docs/import.md for the column set)")
    for name in REQUIRED:
        if name not in names:
            plan.error(1, name, "missing column")
    if len(set(names)) != len(names):
        plan.error(1, "", "a column appears twice")
    if plan.errors:
        return plan
    keys: dict[str, int] = {}
    row = 1
    try:
        for record in reader:
            row += 1
            if not any(cell.strip() for cell in record):
                continue  # spreadsheets leave blank lines at the end
            plan.rows += 1
            if plan.rows > max_rows:
                plan.error(row, "", f"too many rows; at most {max_rows} per import")
                break
            if len(record) > len(names):
                plan.error(
                    row, "", f"{len(record)} cells, but the header names {len(names)} columns"
                )
                continue
            spec = _row(dict(zip(names, record, strict=False)), row, plan)
            if spec.key is not None:
                if spec.key in keys:
                    plan.error(row, "key", f"key {spec.key!r} already used in row {keys[spec.key]}")
                    continue
                keys[spec.key] = row
            plan.sessions.append(spec)
    except csv.Error as exc:
        plan.error(row, "", f"not readable as CSV: {exc}")
    return plan
