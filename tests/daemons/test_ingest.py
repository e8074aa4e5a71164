"""`safeschool ingest`: the spool into the database, once and only once."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command

from safeschool.eventlog import EventLog, SegmentWriter, list_segments
from safeschool.filterlog import ingest
from safeschool.filterlog.models import FilterEvent, SpoolCursor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_this_tests_events() -> None:
    """The demo seeds a few filter events; these tests count only their own."""
    FilterEvent.objects.all().delete()


def event(number: int, action: str = "block") -> dict[str, object]:
    return {
        "t": 1_790_000_000 + number,
        "src": "dns",
        "client": "10.0.0.5",
        "host": f"h{number}.test",
        "qtype": 1,
        "action": action,
        "category": "adult",
        "group": "pupils",
        "rule": "category",
    }


def test_events_are_loaded_and_finished_segments_removed(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "dns")
    for number in range(25):
        log.append(event(number))
    log.close()
    stats = ingest.ingest_once(tmp_path)
    assert stats.events == 25 and stats.segments_finished == 1
    assert FilterEvent.objects.count() == 25
    first = FilterEvent.objects.order_by("at").first()
    assert first is not None
    assert (first.host, first.action, first.category, first.client) == (
        "h0.test",
        "block",
        "adult",
        "10.0.0.5",
    )
    assert list_segments(tmp_path) == []


def test_a_crash_in_the_middle_leaves_no_duplicates(tmp_path: Path) -> None:
    for stream in ("dns", "squid"):
        writer = SegmentWriter(tmp_path, stream)
        writer.write_batch([event(n) for n in range(10)])
        writer.close()
    real_store = ingest._store
    calls = 0

    def crash_after_first(*args: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt  # killed half-way
        real_store(*args)  # type: ignore[arg-type]

    with mock.patch.object(ingest, "_store", crash_after_first), pytest.raises(KeyboardInterrupt):
        ingest.ingest_once(tmp_path)
    assert FilterEvent.objects.count() == 10
    ingest.ingest_once(tmp_path)
    assert FilterEvent.objects.count() == 20
    assert len(set(FilterEvent.objects.values_list("event_id", flat=True))) == 20


def test_events_stored_but_cursor_lost_are_not_duplicated(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "dns")  # still open, so the file stays after ingest
    writer.write_batch([event(n) for n in range(5)])
    ingest.ingest_once(tmp_path)
    SpoolCursor.objects.all().delete()  # the read position forgotten
    ingest.ingest_once(tmp_path)
    assert FilterEvent.objects.count() == 5
    writer.close()


def test_ingest_catches_up_with_a_live_writer(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "dns")
    writer.write_batch([event(n) for n in range(3)])
    ingest.ingest_once(tmp_path)
    writer.write_batch([event(n) for n in range(3, 8)])
    ingest.ingest_once(tmp_path)
    assert FilterEvent.objects.count() == 8
    writer.close()
    ingest.ingest_once(tmp_path)
    assert FilterEvent.objects.count() == 8
    assert list_segments(tmp_path) == []


def test_the_command_runs_once(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "squid")
    writer.write_batch(
        [{**event(1, "allow"), "src": "squid", "url": "http://x.test/?q=a", "terms": "a"}]
    )
    writer.close()
    call_command("ingest", "--once", "--spool", str(tmp_path))
    stored = FilterEvent.objects.get()
    assert (stored.source, stored.search_terms) == ("squid", "a")
