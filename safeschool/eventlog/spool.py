"""The local spool: append-only segment files of filter events, safe against `kill -9`.

Each writer (one per daemon process) owns its own segment file and holds an exclusive `flock`
on it while it is open, so readers can tell a live segment from one whose writer died. A line
is ``<crc32 in hex> <JSON object>\\n``, written in whole batches with one `write` call. A reader
only takes lines that end in a newline and whose checksum matches: a line torn by a crash (or
garbled by a power cut) is skipped, and nothing before it is lost.

Segment names sort by creation time: ``<stream>-<UTC time>-<pid>-<sequence>.seg``, with
``.open`` appended while a writer still owns the file.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPEN_SUFFIX = ".open"
SEGMENT_SUFFIX = ".seg"
Event = dict[str, Any]
Encoded = bytes | str
"""An event already written as one JSON object on one line (bytes in UTF-8, or text), as the
daemons' hot paths prepare them; see `json_text`."""


def encode_line(event: Event | Encoded) -> bytes:
    """One spool line: checksum, space, compact JSON, newline."""
    if type(event) is bytes:
        body = event
    elif type(event) is str:
        body = event.encode()
    else:
        body = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
    return b"%08x %s\n" % (zlib.crc32(body), body)


def json_text(value: object) -> bytes:
    """One JSON value as compact UTF-8 bytes, for building an `Encoded` event from parts."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def decode_line(line: bytes) -> Event | None:
    """The event in one complete line (without its newline), or None if it is damaged."""
    if len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        event = json.loads(body)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


class SegmentWriter:
    """Appends batches of events to segment files in one directory, rotating by size and age.

    Not thread-safe: one owner calls `write_batch` (the daemons' batching thread does).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        stream: str,
        *,
        max_bytes: int = 8 * 1024 * 1024,
        max_age: float = 60.0,
    ) -> None:
        self.directory = Path(directory)
        self.stream = stream
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._sequence = 0
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened = 0.0
        self.directory.mkdir(parents=True, exist_ok=True)

    def write_batch(self, events: list[Event | Encoded]) -> None:
        """Append the events with one write; rotate first when the segment is full or old."""
        if not events:
            return
        data = b"".join(encode_line(event) for event in events)
        if self._fd is not None and (
            self._size >= self.max_bytes or time.monotonic() - self._opened >= self.max_age
        ):
            self.close()
        if self._fd is None:
            self._open()
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(data)

    def close(self) -> None:
        """Seal the current segment: rename it without ``.open`` and release the lock."""
        if self._fd is None or self._path is None:
            return
        sealed = self._path.with_name(self._path.name.removesuffix(OPEN_SUFFIX))
        self._path.replace(sealed)
        os.close(self._fd)
        self._fd, self._path = None, None

    def _open(self) -> None:
        self._sequence += 1
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{self.stream}-{stamp}-{os.getpid()}-{self._sequence:06d}"
        path = self.directory / f"{name}{SEGMENT_SUFFIX}{OPEN_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_EXCL, 0o640)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._fd, self._path, self._size, self._opened = fd, path, 0, time.monotonic()


@dataclass(frozen=True)
class SpoolRecord:
    """One event read from the spool, with the position that identifies it for ever."""

    segment: str
    offset: int
    event: Event

    @property
    def event_id(self) -> str:
        """Stable identity: segment name (without ``.open``) and byte offset."""
        return f"{self.segment}:{self.offset}"


@dataclass
class SegmentRead:
    """What was read from one segment, and where the next read should start."""

    segment: str
    records: list[SpoolRecord]
    next_offset: int
    finished: bool
    """True when no more can ever be added: the writer sealed it or died, and all was read."""
    damaged: int = 0


def segment_name(path: Path) -> str:
    """The segment's lasting name, the same before and after it is sealed."""
    return path.name.removesuffix(OPEN_SUFFIX)


def list_segments(directory: str | os.PathLike[str]) -> list[Path]:
    """Segments in the spool, oldest first (open and sealed)."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.name.endswith((SEGMENT_SUFFIX, OPEN_SUFFIX))]
    return sorted(found, key=segment_name)


def writer_alive(path: Path) -> bool:
    """True while a writer holds the segment's lock (it is still being written)."""
    if not path.name.endswith(OPEN_SUFFIX):
        return False
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def read_segment(path: Path, offset: int = 0, limit: int = 10_000) -> SegmentRead:
    """Read up to `limit` complete lines of a segment from `offset`."""
    live = writer_alive(path)
    name = segment_name(path)
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        # Sealed since we listed it: the same data lives on under the sealed name.
        sealed = path.with_name(name)
        return read_segment(sealed, offset, limit) if sealed.exists() else _empty(name, offset)
    return _parse_chunk(name, chunk, offset, limit, live)


def _parse_chunk(name: str, chunk: bytes, offset: int, limit: int, live: bool) -> SegmentRead:
    records: list[SpoolRecord] = []
    damaged = 0
    position = 0
    while len(records) < limit:
        end = chunk.find(b"\n", position)
        if end == -1:
            break
        event = decode_line(chunk[position:end])
        if event is None:
            damaged += 1
        else:
            records.append(SpoolRecord(name, offset + position, event))
        position = end + 1
    at_end = chunk.find(b"\n", position) == -1
    # A torn last line (no newline) of a dead writer is skipped: nothing can complete it.
    finished = at_end and not live
    if finished and position < len(chunk):
        damaged += 1
    return SegmentRead(name, records, offset + position, finished, damaged)


def _empty(name: str, offset: int) -> SegmentRead:
    return SegmentRead(name, [], offset, True)


def iter_spool(
    directory: str | os.PathLike[str], cursors: dict[str, int], limit: int = 10_000
) -> Iterator[tuple[Path, SegmentRead]]:
    """Each segment's unread events, oldest segment first, starting from saved cursors."""
    for path in list_segments(directory):
        yield path, read_segment(path, cursors.get(segment_name(path), 0), limit)


def remove_segment(path: Path) -> None:
    """Delete a finished segment (after its events are safely stored elsewhere)."""
    for candidate in (path, path.with_name(segment_name(path))):
        candidate.unlink(missing_ok=True)
