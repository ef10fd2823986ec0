"""Time zones: the Geneva alias, wall clock to UTC across DST, day bounds of 23 and 25 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from server.domain.timezones import (
    canonical_zone,
    day_bounds_utc,
    is_valid_zone,
    iso_local,
    iso_utc,
    local_to_utc,
    utc_to_local,
    zone,
)


def test_geneva_is_an_alias_for_zurich():
    assert canonical_zone("Europe/Geneva") == "Europe/Zurich"
    assert is_valid_zone("Europe/Geneva")
    assert zone("Europe/Geneva") == ZoneInfo("Europe/Zurich")
    assert canonical_zone("America/New_York") == "America/New_York"


@pytest.mark.parametrize("name", ["UTC", "Europe/Zurich", "America/New_York", "Asia/Kolkata"])
def test_iana_names_are_valid(name):
    assert is_valid_zone(name)
    assert zone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "", "CEST+2", "../etc/passwd", "europe/zurich"]
)
def test_unknown_names_are_refused(name):
    assert not is_valid_zone(name)
    with pytest.raises(ZoneInfoNotFoundError):
        zone(name)


@pytest.mark.parametrize(
    ("wall", "utc"),
    [
        (datetime(2021, 3, 30, 14), datetime(2021, 3, 30, 12, tzinfo=UTC)),  # CEST
        (datetime(2021, 3, 10, 14), datetime(2021, 3, 10, 13, tzinfo=UTC)),  # CET
        (datetime(2021, 3, 28, 1, 59), datetime(2021, 3, 28, 0, 59, tzinfo=UTC)),
        (datetime(2021, 3, 28, 3, 0), datetime(2021, 3, 28, 1, 0, tzinfo=UTC)),
        # 02:30 never happened that night: read with the offset before the jump.
        (datetime(2021, 3, 28, 2, 30), datetime(2021, 3, 28, 1, 30, tzinfo=UTC)),
        # 02:30 happened twice on 31 October: the first one (fold=0, still CEST).
        (datetime(2021, 10, 31, 2, 30), datetime(2021, 10, 31, 0, 30, tzinfo=UTC)),
    ],
)
def test_geneva_wall_clock_to_utc(wall, utc):
    assert local_to_utc(wall, "Europe/Geneva") == utc
    assert local_to_utc(wall, "Europe/Geneva").tzinfo is UTC


def test_rendering():
    instant = datetime(2021, 3, 10, 13, tzinfo=UTC)
    assert iso_utc(instant) == "2021-03-10T13:00:00Z"
    assert iso_utc(instant.astimezone(ZoneInfo("Asia/Tokyo"))) == "2021-03-10T13:00:00Z"
    assert iso_local(instant, "Europe/Geneva") == "2021-03-10T14:00:00+01:00"
    assert iso_local(instant, "America/New_York") == "2021-03-10T08:00:00-05:00"
    later = datetime(2021, 3, 30, 12, tzinfo=UTC)
    assert iso_local(later, "Europe/Geneva") == "2021-03-30T14:00:00+02:00"
    assert iso_local(later, "America/New_York") == "2021-03-30T08:00:00-04:00"
    assert utc_to_local(later, "Asia/Kolkata").isoformat() == "2021-03-30T17:30:00+05:30"


@pytest.mark.parametrize(
    ("day", "zone_name", "start", "hours"),
    [
        (date(2021, 3, 27), "Europe/Geneva", datetime(2021, 3, 26, 23, tzinfo=UTC), 24),
        (date(2021, 3, 28), "Europe/Geneva", datetime(2021, 3, 27, 23, tzinfo=UTC), 23),
        (date(2021, 3, 29), "Europe/Geneva", datetime(2021, 3, 28, 22, tzinfo=UTC), 24),
        (date(2021, 10, 31), "Europe/Geneva", datetime(2021, 10, 30, 22, tzinfo=UTC), 25),
        (date(2021, 3, 14), "America/New_York", datetime(2021, 3, 14, 5, tzinfo=UTC), 23),
        (date(2021, 11, 7), "America/New_York", datetime(2021, 11, 7, 4, tzinfo=UTC), 25),
        (date(2021, 5, 18), "UTC", datetime(2021, 5, 18, tzinfo=UTC), 24),
    ],
)
def test_day_bounds_follow_dst(day, zone_name, start, hours):
    first, last = day_bounds_utc(day, zone_name)
    assert first == start
    assert last - first == timedelta(hours=hours)
    # Consecutive days tile the time line: no gap, no overlap.
    assert day_bounds_utc(day + timedelta(days=1), zone_name)[0] == last
