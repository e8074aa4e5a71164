"""Blocklist sources: fetching, detecting the format, keeping the last good copy.

A download that fails, or that the engine cannot read, changes nothing: the last good copy stays
in force, the failure is recorded on the source and the school's technicians are told.
"""

from __future__ import annotations

import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from safeschool.engine.lists import parse_adblock, parse_domains, parse_hosts, parse_urls
from safeschool.schools.models import School

PARSERS = {
    "domains": parse_domains,
    "urls": parse_urls,
    "hosts": parse_hosts,
    "adblock": parse_adblock,
}
MAX_BYTES = 200 * 1024 * 1024
HOSTS_SINKS = frozenset({"0.0.0.0", "127.0.0.1", "::", "::1"})  # noqa: S104 - not a bind address
TIMEOUT = 60


def source_file(source: Any) -> Path:
    return Path(settings.DATA_DIR) / "lists" / str(source.school.slug) / f"{source.pk}.txt"


def category_sources(school: School) -> dict[str, list[dict[str, str]]]:
    """For the snapshot: each category's list files that have a good copy."""
    from safeschool.filtering.models import BlocklistSource

    found: dict[str, list[dict[str, str]]] = {}
    for source in BlocklistSource.objects.filter(school=school, last_ok_at__isnull=False):
        path = source_file(source)
        if path.is_file():
            kind = source.detected_format or "domains"
            found.setdefault(source.category, []).append({"type": kind, "path": str(path)})
    return found


def detect_format(text: str) -> str:
    """Hosts file, adblock rules, a squidGuard urls list or plain domains, by the first real
    lines."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip()[0] not in "#!"]
    sample = lines[:200]
    if not sample:
        return "domains"
    if sum(ln.startswith(("||", "@@||")) for ln in sample) > len(sample) / 2:
        return "adblock"
    if sum(ln.split()[0] in HOSTS_SINKS for ln in sample) > len(sample) / 2:
        return "hosts"
    if sum("/" in ln for ln in sample) > len(sample) / 2:
        return "urls"
    return "domains"


def store(source: Any, content: bytes) -> tuple[int, int]:
    """Check the list with the engine's reader, then replace the good copy atomically.
    Returns (entries, malformed lines). Raises ValueError when nothing usable is in it."""
    text = content.decode("utf-8", errors="replace")
    kind = source.format if source.format != "auto" else detect_format(text)
    contents = PARSERS[kind](text, source.name)
    entries, malformed = contents.entry_count, contents.problems.total
    if entries == 0:
        raise ValueError("the list holds no entries SafeSchool can use")
    path = source_file(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    Path(temp).replace(path)
    source.detected_format = kind
    return entries, malformed


def download(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError("only http and https addresses can be fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "SafeSchool list fetcher"})  # noqa: S310 - checked above
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
        content: bytes = response.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise ValueError("the list is larger than 200 MB")
    return content


def refresh(source: Any, content: bytes | None = None) -> bool:
    """Fetch (or take the uploaded content), check and store. True when a new copy is in
    force; on failure the last good copy stays and the technicians are told."""
    from safeschool.audit import services as audit

    source.last_attempt_at = timezone.now()
    try:
        data = content if content is not None else download(source.url)
        source.entry_count, source.malformed_count = store(source, data)
    except (OSError, ValueError, urllib.error.URLError) as error:
        source.last_error = str(getattr(error, "reason", error))[:1000]
        source.save()
        audit.record(
            "filtering.source_failed",
            school=source.school,
            subject=source,
            data={"error": source.last_error},
        )
        _tell_technicians(source)
        return False
    source.last_ok_at, source.last_error = source.last_attempt_at, ""
    source.save()
    audit.record(
        "filtering.source_updated",
        school=source.school,
        subject=source,
        data={"entries": source.entry_count, "malformed": source.malformed_count},
    )
    return True


def due(source: Any) -> bool:
    if not source.url:
        return False
    if source.last_attempt_at is None:
        return True
    age = timezone.now() - source.last_attempt_at
    return bool(age.total_seconds() >= source.refresh_hours * 3600)


def _tell_technicians(source: Any) -> None:
    from safeschool.accounts.permissions import holders_of
    from safeschool.accounts.roles import Role
    from safeschool.notifications.services import notify

    technicians = holders_of(source.school, [Role.TECHNICIAN])
    notify(
        technicians,
        source.school,
        message=f"Blocklist {source.name} could not be updated: {source.last_error}",
        url=reverse("filtering:sources", args=[source.school.slug]),
        subject=f"SafeSchool: blocklist {source.name} could not be updated",
        body=f"The blocklist {source.name} could not be updated ({source.last_error}). "
        "Its last good copy is still in force.",
    )
