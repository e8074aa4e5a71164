"""What the school may know about the illegal-content layer: that it is there, how big, how
recent. Never its contents."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from safeschool.filtering.snapshot import illegal_layer_files


@dataclass(frozen=True)
class IllegalLayerStatus:
    present: bool
    entries: int
    updated: datetime.datetime | None


def illegal_layer_status() -> IllegalLayerStatus:
    files = illegal_layer_files()
    entries = 0
    newest: float | None = None
    for path in files:
        with path.open("rb") as handle:
            entries += sum(1 for line in handle if line.strip() and not line.startswith(b"#"))
        mtime = path.stat().st_mtime
        newest = mtime if newest is None else max(newest, mtime)
    updated = (
        datetime.datetime.fromtimestamp(newest, tz=datetime.UTC).astimezone(
            timezone.get_current_timezone()
        )
        if newest is not None
        else None
    )
    return IllegalLayerStatus(present=bool(files) and entries > 0, entries=entries, updated=updated)
