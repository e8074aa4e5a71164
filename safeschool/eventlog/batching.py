"""Keeping event logging off the daemons' hot path: a queue and a background flusher.

`EventLog.append` only puts an event (a dictionary, or bytes the caller has already written
as one JSON object) on a deque (thread-safe, never blocks). A thread
writes what has gathered every `interval` seconds, in one write per batch. Events still
queued when a process is killed with `kill -9` are the only ones that can be lost; the files
on disk are never corrupted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from typing import Protocol

from .spool import Encoded, Event, SegmentWriter

log = logging.getLogger(__name__)
MAX_QUEUED = 2_000_000
CHUNK = 256


class Sink(Protocol):
    """Where daemons append events (an EventLog, or a list in tests)."""

    def append(self, event: Event | Encoded) -> None: ...

    def extend(self, events: list[Event | Encoded]) -> None: ...


class NullLog:
    """A sink that discards events (logging turned off)."""

    def append(self, event: Event | Encoded) -> None:
        """Discard the event."""

    def extend(self, events: list[Event | Encoded]) -> None:
        """Discard the events."""

    def close(self) -> None:
        """Nothing to close."""


class EventLog:
    """A batching, thread-backed writer to one spool directory."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        stream: str,
        *,
        interval: float = 0.2,
        max_bytes: int = 8 * 1024 * 1024,
        max_age: float = 60.0,
    ) -> None:
        self._writer = SegmentWriter(directory, stream, max_bytes=max_bytes, max_age=max_age)
        self._queue: deque[Event | Encoded] = deque()
        self._interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="event-log", daemon=True)
        self._thread.start()

    def append(self, event: Event | Encoded) -> None:
        """Queue one event; never blocks. Beyond MAX_QUEUED, events are counted and dropped."""
        if len(self._queue) >= MAX_QUEUED:
            self.dropped += 1
            return
        self._queue.append(event)

    def extend(self, events: list[Event | Encoded]) -> None:
        """Queue several events at once (as `append` does each)."""
        room = MAX_QUEUED - len(self._queue)
        if room < len(events):
            self.dropped += len(events) - max(room, 0)
            events = events[: max(room, 0)]
        self._queue.extend(events)

    def flush(self) -> None:
        """Write everything queued so far."""
        with self._lock:
            queue = self._queue
            remaining = len(queue)
            while remaining:
                # Small batches: the serving thread gets the interpreter back between them.
                batch = [queue.popleft() for _ in range(min(remaining, CHUNK))]
                remaining -= len(batch)
                try:
                    self._writer.write_batch(batch)
                except OSError as exc:
                    # The disk may be full; keep serving, say so, and try again later.
                    log.error("event log: could not write %d events: %s", len(batch), exc)
                    queue.extendleft(reversed(batch))
                    return
                time.sleep(0)

    def close(self) -> None:
        """Write what is queued, seal the segment and stop the flusher."""
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
        with self._lock:
            self._writer.close()
        if self.dropped:
            log.error("event log: %d events dropped (queue full)", self.dropped)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if self._queue:
                self.flush()
