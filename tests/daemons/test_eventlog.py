"""The spool: what a crash can and cannot do to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from safeschool.eventlog import EventLog, SegmentWriter, encode_line, iter_spool, list_segments


def all_events(spool: Path) -> list[dict[str, object]]:
    return [r.event for _, read in iter_spool(spool, {}) for r in read.records]


def test_batches_are_written_and_read_back_in_order(tmp_path: Path) -> None:
    log = EventLog(tmp_path, "test", interval=0.05)
    for number in range(1000):
        log.append({"n": number})
    log.close()
    assert [e["n"] for e in all_events(tmp_path)] == list(range(1000))
    assert [p.suffix for p in list_segments(tmp_path)] == [".seg"]


def test_a_torn_last_line_is_skipped_and_nothing_before_it_is_lost(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "test")
    writer.write_batch([{"n": 1}, {"n": 2}])
    segment = list_segments(tmp_path)[0]
    with segment.open("ab") as handle:
        handle.write(encode_line({"n": 3})[:-7])  # as if killed mid-write
    os.close(writer._fd)  # type: ignore[arg-type]  # the writer dies without sealing
    ((_, read),) = iter_spool(tmp_path, {})
    assert [r.event["n"] for r in read.records] == [1, 2]
    assert read.finished and read.damaged == 1


def test_a_line_with_a_bad_checksum_is_skipped(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "test")
    writer.write_batch([{"n": 1}])
    writer.close()
    segment = list_segments(tmp_path)[0]
    with segment.open("ab") as handle:
        handle.write(b'00000000 {"n":2}\n' + encode_line({"n": 3}))
    ((_, read),) = iter_spool(tmp_path, {})
    assert [r.event["n"] for r in read.records] == [1, 3] and read.damaged == 1


def test_a_segment_still_being_written_is_not_finished(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "test")
    writer.write_batch([{"n": 1}])
    ((_, read),) = iter_spool(tmp_path, {})
    assert not read.finished and len(read.records) == 1
    writer.close()
    ((_, read),) = iter_spool(tmp_path, {})
    assert read.finished


def test_reading_resumes_from_a_cursor(tmp_path: Path) -> None:
    writer = SegmentWriter(tmp_path, "test")
    writer.write_batch([{"n": 1}, {"n": 2}])
    writer.close()
    ((_path, read),) = iter_spool(tmp_path, {})
    first = read.records[1].offset
    ((_, again),) = iter_spool(tmp_path, {read.segment: first})
    assert [r.event["n"] for r in again.records] == [2]


WRITER = """
import sys
from safeschool.eventlog import EventLog
log = EventLog(sys.argv[1], "kill", interval=0.001)
n = 0
while True:
    log.append({"n": n, "padding": "x" * 200})
    n += 1
"""


def test_kill_9_never_corrupts_what_was_written(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            segments = list_segments(tmp_path)
            if segments and segments[0].stat().st_size > 200_000:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    numbers = [e["n"] for e in all_events(tmp_path)]
    assert numbers == list(range(len(numbers)))
    assert len(numbers) > 500
    ((_, read),) = iter_spool(tmp_path, {})
    assert read.finished  # the writer is dead: its lock is gone
