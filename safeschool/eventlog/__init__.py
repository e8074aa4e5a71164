"""The event log between the filter daemons and the web app: a local spool of segment files.

Django-free: the daemons import it to write, the `ingest` command to read.
"""

from __future__ import annotations

from .batching import EventLog, NullLog, Sink
from .spool import (
    Encoded,
    Event,
    SegmentRead,
    SegmentWriter,
    SpoolRecord,
    decode_line,
    encode_line,
    iter_spool,
    json_text,
    list_segments,
    read_segment,
    remove_segment,
    segment_name,
)

__all__ = [
    "Encoded",
    "Event",
    "EventLog",
    "NullLog",
    "SegmentRead",
    "SegmentWriter",
    "Sink",
    "SpoolRecord",
    "decode_line",
    "encode_line",
    "iter_spool",
    "json_text",
    "list_segments",
    "read_segment",
    "remove_segment",
    "segment_name",
]
