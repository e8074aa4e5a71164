"""Filter events from the daemons, where the ingest worker has read up to, and unblock
requests from the block page."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class FilterEvent(models.Model):
    """One decision by the DNS filter or the Squid helper, as written to the event log."""

    class Source(models.TextChoices):
        DNS = "dns", "DNS filter"
        SQUID = "squid", "Web proxy"

    event_id = models.CharField(max_length=160, unique=True)
    """Segment name and byte offset in the spool: the same event always has the same ID."""
    at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    action = models.CharField(max_length=16, db_index=True)
    category = models.CharField(max_length=100, blank=True)
    group = models.CharField(max_length=64, blank=True)
    rule = models.CharField(max_length=32, blank=True)
    client = models.GenericIPAddressField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True)
    host = models.CharField(max_length=255, blank=True, db_index=True)
    url = models.TextField(blank=True)
    qtype = models.PositiveIntegerField(null=True, blank=True)
    search_terms = models.TextField(blank=True)
    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["school", "action", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.source} {self.action} {self.host or self.url}"


class SpoolCursor(models.Model):
    """How far `ingest` has read one spool segment; saved with the events it read."""

    segment = models.CharField(max_length=160, unique=True)
    offset = models.BigIntegerField(default=0)
    finished = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.segment} @ {self.offset}"


class UnblockRequest(models.Model):
    """Someone on the block page said a page should not be blocked. Handled with filtering
    management; this is only the record of the request."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        ALLOWED = "allowed", "Unblocked"
        KEPT = "kept", "Kept blocked"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    url = models.TextField()
    category = models.CharField(max_length=100, blank=True)
    rule = models.CharField(max_length=32, blank=True)
    group = models.CharField(max_length=64, blank=True)
    reason = models.TextField(blank=True)
    client = models.GenericIPAddressField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    school = models.ForeignKey(
        "schools.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    """For staff: why it was kept blocked, or the comment on the change that decided it."""
    reply = models.TextField(blank=True)
    """For the person who asked: shown on the request's public status page."""

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Unblock request for {self.url[:120]}"

    @property
    def entry(self) -> str:
        """The host, or host and path, that allowing this request would add to the allow-list."""
        return unblock_entry(self.url)


def unblock_entry(url: str) -> str:
    """`https://www.example.com/a/b?x=1` → `www.example.com/a/b`; a bare host stays a host."""
    text = url.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("#", 1)[0].split("?", 1)[0]
    host, _, path = text.partition("/")
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    path = path.rstrip("/")
    return f"{host}/{path}" if path else host
