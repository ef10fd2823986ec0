"""Constrained field types shared by every input model."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from server.domain.reference import ACTION_LINES, GENDERS, STAKEHOLDER_GROUPS
from server.domain.timezones import is_valid_zone

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_chars(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("control characters are not allowed")
    return value


def _zone(value: str) -> str:
    if not is_valid_zone(value):
        raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Geneva")
    return value


def _country(value: str) -> str:
    import pycountry

    if pycountry.countries.get(alpha_2=value) is None:
        raise ValueError(f"unknown country code {value!r}; use ISO 3166 alpha-2, e.g. CH")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_chars),
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(_no_control_chars),
]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_zone)]
Country = Annotated[
    str, StringConstraints(to_upper=True, min_length=2, max_length=2), AfterValidator(_country)
]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
StakeholderGroup = Literal[STAKEHOLDER_GROUPS]  # type: ignore[valid-type]
Gender = Literal[GENDERS]  # type: ignore[valid-type]
ActionLine = Literal[ACTION_LINES]  # type: ignore[valid-type]
Sdg = Annotated[int, Field(ge=1, le=17)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
# Row ids are 32-bit INTEGER columns: a larger number is no row, and PostgreSQL would
# refuse the comparison outright (a 500) instead of finding nothing.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def is_row_id(text: str) -> bool:
    """Digits that can name a row (``id`` path segments, id-or-slug references)."""
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


Capacity = Annotated[int, Field(ge=1, le=1_000_000)]
# Calendar arithmetic (zones, durations, day bounds) overflows near years 1 and 9999: a
# date that far out is a typo, refused as 422 instead of crashing the handler.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def _sane_day(value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(f"dates must lie between {EARLIEST_DAY} and {LATEST_DAY}")
    return value


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_only(value: object) -> object:
    """Dates and times are ISO 8601 text, as documented: pydantic would otherwise read a
    number (``to=0.5`` in a query) as seconds since 1970."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("use an ISO 8601 date or date-time, e.g. 2021-05-18 or 2021-05-18T09:00")
    return value


Day = Annotated[date, AfterValidator(_sane_day)]
# With an offset: that instant; without: the event's (or the viewer's) wall clock.
AwareOrLocal = Annotated[datetime, AfterValidator(_sane_day)]
# In a query string (validated laxly, unlike JSON bodies): the same, but never a number.
QueryDay = Annotated[date, BeforeValidator(_iso_only), AfterValidator(_sane_day)]
QueryDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_sane_day)]
