"""Removing filter-log rows older than the retention period
(`SAFESCHOOL_FILTER_LOG_RETENTION_DAYS`).

Run daily from cron (`safeschool purge-filter-logs`; see docs/filtering-logs.md). Rows go in
batches, each in its own short transaction, so the ingest worker is never held up for long.
Nothing is removed silently: each purge that removes rows writes an audit row with the count.
A retention of 0 days (or less) keeps the log for ever.
"""

from __future__ import annotations

import datetime
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safeschool.audit import services as audit
from safeschool.filterlog.models import FilterEvent

BATCH = 5_000


class Writer(Protocol):
    def write(self, text: str, /) -> Any: ...


def cutoff(now: datetime.datetime | None = None) -> datetime.datetime | None:
    """Rows before this are past the retention period; None when the log is kept for ever."""
    days = settings.FILTER_LOG_RETENTION_DAYS
    if days <= 0:
        return None
    return (now or timezone.now()) - datetime.timedelta(days=days)


def purge(now: datetime.datetime | None = None) -> int:
    """Delete filter events older than the retention period; return how many went."""
    before = cutoff(now)
    if before is None:
        return 0
    removed = 0
    while batch := _delete_batch(before):
        removed += batch
    if removed:
        audit.record(
            "filterlog.purged",
            data={
                "rows": removed,
                "before": before.isoformat(),
                "retention_days": settings.FILTER_LOG_RETENTION_DAYS,
            },
        )
    return removed


@transaction.atomic
def _delete_batch(before: datetime.datetime) -> int:
    ids = list(FilterEvent.objects.filter(at__lt=before).values_list("pk", flat=True)[:BATCH])
    if not ids:
        return 0
    FilterEvent.objects.filter(pk__in=ids).delete()
    return len(ids)


def purge_command(stdout: Writer) -> int:
    """`safeschool filter purge-logs` and `safeschool purge-filter-logs`: purge, say how many
    rows were removed, and return the exit status."""
    days = settings.FILTER_LOG_RETENTION_DAYS
    if days <= 0:
        stdout.write("Filter logs are kept for ever (retention 0 days): nothing removed.\n")
        return 0
    removed = purge()
    stdout.write(
        f"Removed {removed} filter log row{'s' if removed != 1 else ''} older than {days} days.\n"
    )
    return 0
