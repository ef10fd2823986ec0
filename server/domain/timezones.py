"""Time zones: validation and rendering of UTC instants in a zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Names people use that the IANA database does not have. The reference forum is
# "in Geneva", but Switzerland's one zone is Europe/Zurich (see docs/decisions.md).
ALIASES = {"Europe/Geneva": "Europe/Zurich"}


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def is_valid_zone(name: str) -> bool:
    return canonical_zone(name) in _known_zones()


def canonical_zone(name: str) -> str:
    return ALIASES.get(name, name)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    if not is_valid_zone(name):
        raise ZoneInfoNotFoundError(name)
    return ZoneInfo(canonical_zone(name))


def local_to_utc(wall_clock: datetime, zone_name: str) -> datetime:
    """A naive wall-clock time in ``zone_name`` to an aware UTC instant."""
    return wall_clock.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def utc_to_local(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(zone(zone_name))


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iso_local(instant: datetime, zone_name: str) -> str:
    return utc_to_local(instant, zone_name).isoformat()


def day_bounds_utc(day: date, zone_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in a zone, in UTC (23 or 25 hours long across DST)."""
    start = local_to_utc(datetime.combine(day, time.min), zone_name)
    end = local_to_utc(datetime.combine(day + timedelta(days=1), time.min), zone_name)
    return start, end
