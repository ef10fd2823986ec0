"""Rows to the public session representation, in UTC, the event's zone and the viewer's."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.models import PersonRef, RoomRef, SessionOut, TrackRef, TypeRef
from server.db.tables import Event, Person, Room, Session, SessionType, Signup, Track
from server.domain.balance import Speaker, panel_warnings
from server.domain.timezones import iso_local, iso_utc


class Renderer:
    """Loads the small lookup tables once, then renders any number of sessions."""

    def __init__(
        self,
        event: Event,
        tracks: dict[int, Track],
        types: dict[int, SessionType],
        rooms: dict[int, Room],
        people: dict[int, Person],
        seats: dict[int, dict[str, int]],
    ) -> None:
        self.event = event
        self.tracks = tracks
        self.types = types
        self.rooms = rooms
        self.people = people
        self.seats = seats

    @classmethod
    async def load(cls, s: AsyncSession, event: Event, sessions: Sequence[Session]) -> Renderer:
        ids = [x.id for x in sessions]
        person_ids = {p.person_id for x in sessions for p in x.people}
        tracks = {
            t.id: t for t in (await s.scalars(select(Track).where(Track.event_id == event.id)))
        }
        types = {
            t.id: t
            for t in (await s.scalars(select(SessionType).where(SessionType.event_id == event.id)))
        }
        rooms = {r.id: r for r in (await s.scalars(select(Room).where(Room.event_id == event.id)))}
        people: dict[int, Person] = {}
        id_list = sorted(person_ids)
        for i in range(0, len(id_list), 900):  # stay under SQLite's bound-parameter limit
            chunk = id_list[i : i + 900]
            people.update(
                {p.id: p for p in await s.scalars(select(Person).where(Person.id.in_(chunk)))}
            )
        seats: dict[int, dict[str, int]] = defaultdict(dict)
        if ids:
            rows = await s.execute(
                select(Signup.session_id, Signup.status, func.count())
                .where(Signup.session_id.in_(ids) if len(ids) <= 900 else Signup.session_id > 0)
                .group_by(Signup.session_id, Signup.status)
            )
            for session_id, status, count in rows:
                seats[session_id][status] = count
        return cls(event, tracks, types, rooms, people, seats)

    def _ref(self, person_id: int) -> PersonRef:
        p = self.people[person_id]
        return PersonRef(
            id=p.id,
            name=p.name,
            organisation=p.organisation,
            country=p.country,
            stakeholder_group=p.stakeholder_group,
        )

    def session(self, x: Session, tz: str | None = None) -> SessionOut:
        zone = tz or self.event.timezone
        track = self.tracks[x.track_id]
        stype = self.types[x.type_id]
        room = self.rooms[x.room_id]
        tags: dict[str, list[str]] = defaultdict(list)
        for tag in x.tags:
            tags[tag.kind].append(tag.value)
        seats = self.seats.get(x.id, {})
        return SessionOut(
            id=x.id,
            event_id=x.event_id,
            title=x.title,
            abstract=x.abstract,
            track=TrackRef(id=track.id, slug=track.slug, name=track.name),
            type=TypeRef(
                id=stype.id, key=stype.key, name=stype.name, interactive=stype.interactive
            ),
            room=RoomRef(id=room.id, slug=room.slug, name=room.name),
            start_utc=iso_utc(x.start_utc),
            end_utc=iso_utc(x.end_utc),
            start_local=iso_local(x.start_utc, zone),
            end_local=iso_local(x.end_utc, zone),
            tz=zone,
            start_event=iso_local(x.start_utc, self.event.timezone),
            end_event=iso_local(x.end_utc, self.event.timezone),
            event_tz=self.event.timezone,
            duration_min=int((x.end_utc - x.start_utc).total_seconds() // 60),
            state=x.state,
            languages=tags["language"],
            speakers=[self._ref(p.person_id) for p in x.people if p.role == "speaker"],
            moderators=[self._ref(p.person_id) for p in x.people if p.role == "moderator"],
            action_lines=sorted(tags["action_line"], key=lambda a: int(a[1:])),
            sdgs=sorted(int(v) for v in tags["sdg"]),
            capacity=x.capacity,
            open_to_all=x.open_to_all,
            seats_taken=seats.get("confirmed", 0),
            waitlisted=seats.get("waitlisted", 0),
            version=x.version,
            warnings=panel_warnings(
                [
                    Speaker(
                        self.people[p.person_id].gender, self.people[p.person_id].stakeholder_group
                    )
                    for p in x.people
                    if p.role == "speaker"
                ]
            ),
        )
