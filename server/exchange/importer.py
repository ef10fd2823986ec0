"""Write an ``ImportPlan`` into an event: all of it in one transaction, or none of it.

Every reference is resolved first and every problem collected, so one run
reports all bad rows. Only a plan without errors is written. A dry run goes
through the same writes and rolls them back, so it reports exactly what a real
run would do, conflicts included. Conflicts do not stop an import (a
spreadsheet is often fixed in several passes), but they are always reported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.api.models import ConflictOut
from server.db.engine import Database
from server.db.tables import Event, Person, Room, Session, SessionType, Track
from server.exchange.plan import ImportPlan, PersonSpec, RowError, SessionSpec
from server.programme.changes import SessionChange
from server.programme.conflicts import programme_conflicts
from server.programme.lookup import current_event
from server.programme.sessions import SessionFields, to_utc, write_session

# (stage, done, total): "check" while resolving, "write" while writing.
Progress = Callable[[str, int, int], None]


class ImportedSession(BaseModel):
    row: int
    key: str | None
    action: str = Field(description="created | updated")
    id: int | None = Field(description="the session's id; null on a dry run")


class ImportReport(BaseModel):
    ok: bool = Field(description="no row errors: written, or would be written on a dry run")
    dry_run: bool
    written: bool
    format: str
    event: str
    rows: int
    created: int = 0
    updated: int = 0
    people_created: int = 0
    tracks_created: int = 0
    session_types_created: int = 0
    rooms_created: int = 0
    errors: list[RowError] = Field(default_factory=list)
    conflicts: list[ConflictOut] = Field(default_factory=list)
    sessions: list[ImportedSession] = Field(default_factory=list)


class _Rollback(Exception):
    def __init__(self, report: ImportReport) -> None:
        super().__init__("import rolled back")
        self.report = report


def external_key(plan_format: str, event: Event, key: str) -> str:
    # Scoped by event: one file may be imported into two events without a clash.
    return f"{plan_format}:{event.id}:{key}"[:128]


class _Refs:
    """An event's tracks, types and rooms, findable by slug/key, name (any case) or id."""

    def __init__(self) -> None:
        self.by_ref: dict[str, dict[str, int]] = {"track": {}, "type": {}, "room": {}}
        self.rows: dict[str, dict[int, object]] = {"track": {}, "type": {}, "room": {}}

    def add(self, kind: str, row_id: int, code: str, name: str, row: object) -> None:
        refs = self.by_ref[kind]
        refs.setdefault(code, row_id)
        refs.setdefault(name.casefold(), row_id)
        refs.setdefault(str(row_id), row_id)
        self.rows[kind][row_id] = row

    def find(self, kind: str, ref: str) -> int | None:
        refs = self.by_ref[kind]
        return refs.get(ref) or refs.get(ref.casefold())

    def known(self, kind: str) -> str:
        names = sorted({getattr(r, "slug", None) or r.key for r in self.rows[kind].values()})  # type: ignore[attr-defined]
        return ", ".join(names) or "none"


async def _load_refs(s: AsyncSession, event: Event) -> _Refs:
    refs = _Refs()
    for t in await s.scalars(select(Track).where(Track.event_id == event.id)):
        refs.add("track", t.id, t.slug, t.name, t)
    for st in await s.scalars(select(SessionType).where(SessionType.event_id == event.id)):
        refs.add("type", st.id, st.key, st.name, st)
    for r in await s.scalars(select(Room).where(Room.event_id == event.id)):
        refs.add("room", r.id, r.slug, r.name, r)
    return refs


async def _create_catalogue(
    s: AsyncSession, event: Event, plan: ImportPlan, refs: _Refs, report: ImportReport
) -> None:
    if plan.catalogue is None:
        return
    for t in plan.catalogue.tracks:
        if refs.find("track", t.slug) is None and refs.find("track", t.name) is None:
            row = Track(event_id=event.id, slug=t.slug, name=t.name, description=t.description)
            s.add(row)
            await s.flush()
            refs.add("track", row.id, row.slug, row.name, row)
            report.tracks_created += 1
    for st in plan.catalogue.types:
        if refs.find("type", st.key) is None and refs.find("type", st.name) is None:
            row_t = SessionType(
                event_id=event.id,
                key=st.key,
                name=st.name,
                default_duration_min=st.default_duration_min,
                interactive=st.interactive,
                default_capacity=st.default_capacity,
            )
            s.add(row_t)
            await s.flush()
            refs.add("type", row_t.id, row_t.key, row_t.name, row_t)
            report.session_types_created += 1
    for r in plan.catalogue.rooms:
        if refs.find("room", r.slug) is None and refs.find("room", r.name) is None:
            row_r = Room(event_id=event.id, slug=r.slug, name=r.name, capacity=r.capacity)
            s.add(row_r)
            await s.flush()
            refs.add("room", row_r.id, row_r.slug, row_r.name, row_r)
            report.rooms_created += 1


async def _existing_people(s: AsyncSession) -> tuple[dict[tuple[str, str], int], list[Person]]:
    """Every person by (name, organisation), compared case-insensitively in Python:
    SQLite's lower() folds ASCII only, and names are often not ASCII. The rows are
    returned too: while the caller holds them they stay in the session's (weak)
    identity map, so checking each panel's references costs no further query."""
    found: dict[tuple[str, str], int] = {}
    rows = list(await s.scalars(select(Person).order_by(Person.id)))
    for p in rows:
        found.setdefault((p.name.casefold(), (p.organisation or "").casefold()), p.id)
    return found, rows


async def _keyed_sessions(s: AsyncSession, event: Event) -> dict[str, Session]:
    rows = await s.scalars(
        select(Session).where(Session.event_id == event.id, Session.external_key.is_not(None))
    )
    return {x.external_key: x for x in rows if x.external_key}


class _People:
    """Resolves people, creating each missing one once however many rows name them."""

    def __init__(
        self,
        s: AsyncSession,
        existing: tuple[dict[tuple[str, str], int], list[Person]],
        lenient: bool,
    ) -> None:
        self.s = s
        self.known, self._held = existing
        self.lenient = lenient
        self.pending: dict[tuple[str, str], PersonSpec] = {}
        self.created = 0

    def check(self, spec: PersonSpec) -> str | None:
        """Why this person cannot be resolved, or None."""
        key = spec.match_key
        if key in self.known or key in self.pending:
            return None
        if not self.lenient and (not spec.country or not spec.stakeholder_group):
            who = f"{spec.name} ({spec.organisation})" if spec.organisation else spec.name
            return (
                f"{who} is not on the programme yet; give country and stakeholder group "
                "to add this person"
            )
        self.pending[key] = spec
        return None

    async def create_pending(self) -> None:
        """Add everyone not found, in one flush (the first mention of a person wins)."""
        new = {
            key: Person(
                name=spec.name,
                organisation=spec.organisation,
                country=spec.country or "",
                stakeholder_group=spec.stakeholder_group or "other",
                gender=spec.gender,
                bio=spec.bio or "",
            )
            for key, spec in self.pending.items()
        }
        self.s.add_all(new.values())
        await self.s.flush()
        self.known.update({key: person.id for key, person in new.items()})
        self._held.extend(new.values())
        self.created = len(new)
        self.pending.clear()

    def id_of(self, spec: PersonSpec) -> int:
        return self.known[spec.match_key]


def _resolve_row(
    spec: SessionSpec, event: Event, refs: _Refs, people: _People, errors: list[RowError]
) -> dict[str, int] | None:
    ids: dict[str, int] = {}
    bad = not spec.complete  # its parse errors are reported already; add the rest
    for kind, column, ref in (
        ("track", "track", spec.track),
        ("type", "type", spec.type),
        ("room", "room", spec.room),
    ):
        if ref is None:
            continue
        found = refs.find(kind, ref)
        if found is None:
            errors.append(
                RowError(
                    row=spec.row,
                    column=column,
                    message=f"no {kind} {ref!r} in event {event.slug!r} (known: {refs.known(kind)})",
                )
            )
            bad = True
        else:
            ids[kind] = found
    for column, group in (("speakers", spec.speakers), ("moderators", spec.moderators)):
        for person in group:
            problem = people.check(person)
            if problem:
                errors.append(RowError(row=spec.row, column=column, message=problem))
                bad = True
    if (
        spec.start is not None
        and spec.end is not None
        and to_utc(spec.end, event) <= to_utc(spec.start, event)
    ):
        errors.append(
            RowError(row=spec.row, column="end", message="the end is not after the start")
        )
        bad = True
    return None if bad else ids


async def _write_row(
    s: AsyncSession,
    event: Event,
    plan: ImportPlan,
    spec: SessionSpec,
    ids: dict[str, int],
    refs: _Refs,
    people: _People,
    keyed: dict[str, Session],
) -> tuple[Session, bool]:
    assert spec.complete and spec.start is not None  # only error-free plans are written
    key = external_key(plan.format, event, spec.key) if spec.key else None
    row = keyed.get(key) if key is not None else None
    created = row is None
    if row is None:
        row = Session(event_id=event.id, state="scheduled", version=1, external_key=key)
    stype = refs.rows["type"][ids["type"]]
    capacity = spec.capacity if spec.capacity_set else stype.default_capacity  # type: ignore[attr-defined]
    end = spec.end
    if end is None and spec.duration_min is None:
        # A row is the whole truth about its session: no end means the type's length.
        end = to_utc(spec.start, event) + timedelta(minutes=stype.default_duration_min)  # type: ignore[attr-defined]
    fields = SessionFields(
        title=spec.title,
        abstract=spec.abstract,
        track_id=ids["track"],
        type_id=ids["type"],
        room_id=ids["room"],
        start=spec.start,
        end=end,
        duration_min=spec.duration_min,
        languages=spec.languages,
        action_lines=spec.action_lines,
        sdgs=spec.sdgs,
        capacity=capacity,
        capacity_set=True,
        open_to_all=spec.open_to_all if spec.open_to_all is not None else capacity is None,
        speaker_ids=[people.id_of(p) for p in spec.speakers],
        moderator_ids=[people.id_of(p) for p in spec.moderators],
    )
    return await write_session(s, event, row, fields, check=False), created


async def _run(
    s: AsyncSession, event: Event, plan: ImportPlan, report: ImportReport, progress: Progress | None
) -> None:
    refs = await _load_refs(s, event)
    await _create_catalogue(s, event, plan, refs, report)
    people = _People(s, await _existing_people(s), plan.lenient_people)
    resolved: list[tuple[SessionSpec, dict[str, int]]] = []
    errors = list(plan.errors)
    for done, spec in enumerate(plan.sessions, start=1):
        ids = _resolve_row(spec, event, refs, people, errors)
        if ids is not None:
            resolved.append((spec, ids))
        if progress:
            progress("check", done, len(plan.sessions))
    report.errors = sorted(errors, key=lambda e: (e.row, e.column))
    if report.errors:
        report.ok = False
        raise _Rollback(report)
    await people.create_pending()
    touched: set[int] = set()
    keyed = await _keyed_sessions(s, event)
    for done, (spec, ids) in enumerate(resolved, start=1):
        row, created = await _write_row(s, event, plan, spec, ids, refs, people, keyed)
        touched.add(row.id)
        if created:
            report.created += 1
        else:
            report.updated += 1
        report.sessions.append(
            ImportedSession(
                row=spec.row,
                key=spec.key,
                action="created" if created else "updated",
                id=None if report.dry_run else row.id,
            )
        )
        if progress:
            progress("write", done, len(resolved))
    report.people_created = people.created
    report.conflicts = [
        c for c in await programme_conflicts(s, event) if touched.intersection(c.session_ids)
    ]
    if report.dry_run:
        raise _Rollback(report)
    report.written = True


async def apply_import(
    db: Database,
    event_ref: str | int | None,
    plan: ImportPlan,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Resolve and write ``plan`` into the event; 404 ApiError when the event does not exist."""
    try:
        async with db.write() as s:
            event = await current_event(s, event_ref)
            report = ImportReport(
                ok=True,
                dry_run=dry_run,
                written=False,
                format=plan.format,
                event=event.slug,
                rows=plan.rows,
            )
            await _run(s, event, plan, report, progress)
    except _Rollback as rollback:
        return rollback.report
    return report


async def report_changes(db: Database, report: ImportReport) -> list[SessionChange]:
    """The sessions a written import created or updated, as one batch of changes."""
    async with db.read() as s:
        event = await current_event(s, report.event)
    return [
        SessionChange(item.action, item.id, event.id)  # type: ignore[arg-type]
        for item in report.sessions
        if item.id is not None
    ]
