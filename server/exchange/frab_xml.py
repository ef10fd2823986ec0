"""The frab schedule as XML (``schedule.xml``), valid against the c3voc XSD."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

from server.exchange.frab_json import generator_version
from server.exchange.frab_model import TIMESLOT, FrabEvent, FrabSchedule


def _text(parent: Element, tag: str, text: str, **attrs: str) -> Element:
    child = SubElement(parent, tag, attrs)
    child.text = text
    return child


def _event(parent: Element, e: FrabEvent) -> None:
    node = SubElement(parent, "event", {"id": str(e.id), "guid": e.guid})
    _text(node, "date", e.start.isoformat())
    _text(node, "start", e.start_hhmm)
    _text(node, "duration", e.duration)
    _text(node, "room", e.room)
    _text(node, "slug", e.slug)
    _text(node, "url", e.url)
    _text(node, "title", e.title)
    _text(node, "subtitle", "")
    _text(node, "track", e.track)
    _text(node, "type", e.type)
    if e.language:
        _text(node, "language", e.language)
    _text(node, "abstract", e.abstract)
    _text(node, "description", "")
    persons = SubElement(node, "persons")
    for p in e.persons:
        _text(persons, "person", p.name, id=str(p.id), guid=p.guid)
    SubElement(node, "links")


def to_xml(schedule: FrabSchedule) -> bytes:
    root = Element("schedule")
    SubElement(root, "generator", {"name": "forumlive", "version": generator_version()})
    _text(root, "version", schedule.version)
    conference = SubElement(root, "conference")
    _text(conference, "title", schedule.title)
    _text(conference, "acronym", schedule.acronym)
    _text(conference, "start", schedule.start.isoformat())
    _text(conference, "end", schedule.end.isoformat())
    _text(conference, "days", str(len(schedule.days)))
    _text(conference, "timeslot_duration", TIMESLOT)
    _text(conference, "base_url", schedule.base_url)
    if schedule.time_zone_name:
        _text(conference, "time_zone_name", schedule.time_zone_name)
    for track in schedule.tracks:
        attrs = {"name": track.name}
        if track.xml_slug:
            attrs["slug"] = track.xml_slug
        SubElement(conference, "track", attrs)
    for day in schedule.days:
        node = SubElement(
            root,
            "day",
            {
                "index": str(day.index),
                "date": day.date.isoformat(),
                "start": day.start.isoformat(),
                "end": day.end.isoformat(),
            },
        )
        guids = {r.name: r.guid for r in schedule.rooms}
        for room, events in day.rooms.items():
            room_node = SubElement(node, "room", {"name": room, "guid": guids[room]})
            for e in events:
                _event(room_node, e)
    return tostring(root, encoding="utf-8", xml_declaration=True)
