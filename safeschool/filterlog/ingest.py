"""Loading the daemons' event log into the database, idempotently.

Each segment's events are stored together with the segment's new read position in one
transaction, and every event has a unique ID (segment and byte offset), so an ingest killed at
any moment neither loses nor duplicates an event when it runs again. Finished segments are
deleted only after their events are committed.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from safeschool.eventlog import SpoolRecord, iter_spool, read_segment, remove_segment
from safeschool.filterlog.models import FilterEvent, SpoolCursor
from safeschool.monitoring.services import process_events
from safeschool.schools.models import School

BATCH = 5_000


@dataclass
class IngestStats:
    """What one pass over the spool did."""

    events: int = 0
    segments_finished: int = 0
    damaged: int = 0


def ingest_once(spool: Path, school: School | None = None) -> IngestStats:
    """Read every segment from its saved position and store what is new."""
    stats = IngestStats()
    cursors = dict(SpoolCursor.objects.values_list("segment", "offset"))
    done = set(SpoolCursor.objects.filter(finished=True).values_list("segment", flat=True))
    for path, read in iter_spool(spool, cursors, BATCH):
        if read.segment in done:
            remove_segment(path)
            continue
        while True:
            _store(read.segment, read.records, read.next_offset, read.finished, school)
            stats.events += len(read.records)
            stats.damaged += read.damaged
            if read.finished or not read.records:
                break
            read = read_segment(path, read.next_offset, BATCH)
        if read.finished:
            remove_segment(path)
            stats.segments_finished += 1
    _forget_removed(spool)
    return stats


@transaction.atomic
def _store(
    segment: str, records: list[SpoolRecord], offset: int, finished: bool, school: School | None
) -> None:
    events = [_event(record, school) for record in records]
    seen = set(
        FilterEvent.objects.filter(event_id__in=[e.event_id for e in events]).values_list(
            "event_id", flat=True
        )
    )
    FilterEvent.objects.bulk_create(events, ignore_conflicts=True)
    # Monitoring runs in this same transaction, on the events stored for the first time, so
    # each event raises its alerts exactly once, however often an ingest is interrupted.
    process_events([e for e in events if e.event_id not in seen])
    SpoolCursor.objects.update_or_create(
        segment=segment, defaults={"offset": offset, "finished": finished}
    )


def _forget_removed(spool: Path) -> None:
    """Drop cursors of finished segments whose files are gone (they can never come back)."""
    for cursor in SpoolCursor.objects.filter(finished=True):
        if (
            not (spool / cursor.segment).exists()
            and not (spool / f"{cursor.segment}.open").exists()
        ):
            cursor.delete()


def _event(record: SpoolRecord, school: School | None) -> FilterEvent:
    data = record.event
    return FilterEvent(
        event_id=record.event_id,
        at=_time(data.get("t")),
        source=_text(data.get("src"), 8),
        action=_text(data.get("action"), 16),
        category=_text(data.get("category"), 100),
        group=_text(data.get("group"), 64),
        rule=_text(data.get("rule"), 32),
        client=_address(data.get("client")),
        username=_text(data.get("user"), 150),
        host=_text(data.get("host"), 255),
        url=_text(data.get("url"), 8192),
        qtype=data.get("qtype") if isinstance(data.get("qtype"), int) else None,
        search_terms=_text(data.get("terms"), 2000),
        school=school,
    )


def _text(value: Any, limit: int) -> str:
    return "" if value is None else str(value)[:limit]


def _time(value: Any) -> datetime.datetime:
    try:
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.datetime.now(tz=datetime.UTC)


def _address(value: Any) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value))) if value else None
    except ValueError:
        return None
