"""iCalendar (RFC 5545) for the agenda, one session, and a person's own feed.

Times are written in the event's zone with a VTIMEZONE built from the zone's
real transitions, so a calendar app shows 14:00 in Geneva whatever zone it runs
in. The VTIMEZONE carries the event's zone *name* (e.g. ``Europe/Geneva``) even
when that name is an alias we resolve to another IANA zone: it is the name the
organiser chose and every other export shows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, Timezone

from server.db.tables import Session
from server.domain.timezones import canonical_zone, utc_to_local, zone
from server.exchange.ids import join_url, session_uid
from server.programme.render import Renderer

# PRODID names the product that wrote the file (RFC 5545 §3.7.3); clients use it
# to work around quirks of a given producer, so it stays the same across versions.
PRODID = "-//forumlive//forumlive calendar//EN"
CONTENT_TYPE = "text/calendar"

# STATUS values a caller may force per session (a waitlisted seat is tentative).
CONFIRMED = "CONFIRMED"
TENTATIVE = "TENTATIVE"
CANCELLED = "CANCELLED"


def _vtimezone(name: str, first: date, last: date) -> Timezone:
    # Whole years: a few more transitions, but the block is the same for every
    # calendar of the event, whatever sessions it holds.
    return Timezone.from_tzinfo(
        zone(name), tzid=name, first_date=date(first.year, 1, 1), last_date=date(last.year, 12, 31)
    )


def _people_line(label: str, view: Renderer, x: Session, role: str) -> str | None:
    names = []
    for p in x.people:
        if p.role != role:
            continue
        person = view.people[p.person_id]
        names.append(
            f"{person.name} ({person.organisation})" if person.organisation else person.name
        )
    return f"{label}: {', '.join(names)}" if names else None


def _description(view: Renderer, x: Session, link: str) -> str:
    parts = [x.abstract.strip()] if x.abstract.strip() else []
    panel = [
        line
        for line in (
            _people_line("Speakers", view, x, "speaker"),
            _people_line("Moderators", view, x, "moderator"),
        )
        if line
    ]
    if panel:
        parts.append("\n".join(panel))
    parts.append(f"Join: {link}")
    return "\n\n".join(parts)


def _vevent(
    view: Renderer, x: Session, public_url: str, tzid: str | None, status: str | None, now: datetime
) -> Event:
    link = join_url(public_url, x.id)
    ev = Event()
    ev.add("uid", session_uid(public_url, x.id))
    ev.add("dtstamp", now)
    ev.add("created", x.created_at.astimezone(UTC))
    ev.add("last-modified", x.updated_at.astimezone(UTC))
    # The session's version is bumped by every change, which is what SEQUENCE means.
    ev.add("sequence", x.version)
    ev.add("summary", x.title)
    if tzid is None:
        ev.add("dtstart", x.start_utc.astimezone(UTC))
        ev.add("dtend", x.end_utc.astimezone(UTC))
    else:
        for key, instant in (("dtstart", x.start_utc), ("dtend", x.end_utc)):
            wall = utc_to_local(instant, tzid).replace(tzinfo=None)
            ev.add(key, wall, parameters={"TZID": tzid})
    ev.add("description", _description(view, x, link))
    ev.add("location", f"{view.rooms[x.room_id].name} (online)")
    ev.add("url", link)
    ev.add("categories", [view.tracks[x.track_id].name, view.types[x.type_id].name])
    ev.add("status", CANCELLED if x.state == "cancelled" else (status or CONFIRMED))
    ev.add("transp", "OPAQUE")
    return ev


def build_calendar(
    view: Renderer,
    sessions: Sequence[Session],
    public_url: str,
    name: str,
    status: Mapping[int, str] | None = None,
    refresh_minutes: int | None = None,
    now: datetime | None = None,
) -> bytes:
    """One VCALENDAR with a VEVENT per session, times in the event's zone.

    ``status`` forces a STATUS per session id (cancelled sessions are always
    CANCELLED); ``refresh_minutes`` marks a subscribable feed.
    """
    now = now or datetime.now(UTC)
    tzid = view.event.timezone
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tzid)
    if refresh_minutes:
        every = timedelta(minutes=refresh_minutes)
        cal.add("refresh-interval", every, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", f"PT{refresh_minutes}M")
    utc_only = canonical_zone(tzid) in ("UTC", "Etc/UTC")
    if not utc_only:
        days = [x.start_utc.date() for x in sessions] + [x.end_utc.date() for x in sessions]
        first = min(days, default=view.event.pre_events_start or view.event.final_start)
        last = max(days, default=view.event.final_end)
        cal.add_component(_vtimezone(tzid, first, last))
    for x in sessions:
        cal.add_component(
            _vevent(view, x, public_url, None if utc_only else tzid, (status or {}).get(x.id), now)
        )
    return cal.to_ical()
