"""Searching the filter log and exporting a search as CSV. Both are reads of records about
named children, so each is written to the audit log (DfE standard 3: logs identify the device,
the user, the time and what was blocked)."""

from __future__ import annotations

import csv
import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from safeschool.audit import services as audit
from safeschool.filterlog.models import FilterEvent
from safeschool.people.access import search_pupils
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School

MAX_PEOPLE = 50
_PARTIAL = re.compile(r"^[0-9a-f:.]+$")
_DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = [
    "Time",
    "Source",
    "Action",
    "Category",
    "Rule",
    "Group",
    "Device address",
    "User",
    "Domain",
    "URL",
    "Search terms",
]


def address_prefix(text: str) -> tuple[str, bool] | None:
    """A typed address as (value, exact): 10.2.0.31 → exact; 10.2.0 and 10.2.0.0/24 → the
    prefix "10.2.0."; anything else that is not the start of an address is refused."""
    text = text.strip().lower()
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text)), True
    except ValueError:
        pass
    if "/" in text:
        return _network_prefix(text)
    if not _PARTIAL.match(text):
        raise ValueError("Give an address, the start of one, or a /8, /16 or /24 range.")
    if ":" not in text and not text.endswith("."):
        text += "."
    return text, False


def _network_prefix(text: str) -> tuple[str, bool]:
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an address range.") from None
    if network.version != 4 or network.prefixlen not in (8, 16, 24, 32):
        raise ValueError("Give ranges as /8, /16 or /24 (or the start of an IPv6 address).")
    if network.prefixlen == 32:
        return str(network.network_address), True
    octets = str(network.network_address).split(".")[: network.prefixlen // 8]
    return ".".join(octets) + ".", False


def people_usernames(school: School, text: str) -> list[str]:
    """The network user names of the school's pupils and adults whose name matches."""
    pupils = search_pupils(Pupil.objects.filter(school=school), text)
    words = " ".join(text.split()).split(" ")
    adults = Adult.objects.filter(school=school)
    for word in words:
        adults = adults.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    names = [
        *pupils.exclude(network_username="").values_list("network_username", flat=True),
        *adults.exclude(network_username="").values_list("network_username", flat=True),
    ]
    return sorted(set(names))[:MAX_PEOPLE]


def _who(school: School, text: str) -> Q:
    query = Q(username__icontains=text)
    for name in people_usernames(school, text):
        query |= Q(username__iexact=name)
    return query


def search(
    events: QuerySet[FilterEvent], school: School, data: dict[str, Any]
) -> QuerySet[FilterEvent]:
    """The events matching the search form's cleaned data (empty fields match everything)."""
    who = str(data.get("who") or "").strip()
    if who:
        events = events.filter(_who(school, who))
    address = address_prefix(str(data.get("address") or ""))
    if address is not None:
        value, exact = address
        events = events.filter(client=value) if exact else events.filter(client__startswith=value)
    if data.get("domain"):
        events = events.filter(host__icontains=str(data["domain"]).strip())
    if data.get("category"):
        events = events.filter(category__iexact=str(data["category"]).strip())
    if data.get("action"):
        events = events.filter(action=data["action"])
    if data.get("since"):
        events = events.filter(at__gte=data["since"])
    if data.get("until"):
        events = events.filter(at__lte=data["until"])
    return events


def filters(data: dict[str, Any]) -> dict[str, str]:
    """The non-empty search fields, as text for the audit log."""
    return {key: str(value) for key, value in data.items() if value not in (None, "")}


def record_search(actor: Any, school: School, data: dict[str, Any], request: HttpRequest) -> None:
    audit.record(
        "filterlog.searched", actor=actor, school=school, data=filters(data), request=request
    )


def record_export(
    actor: Any, school: School, data: dict[str, Any], rows: int, request: HttpRequest
) -> None:
    audit.record(
        "filterlog.exported",
        actor=actor,
        school=school,
        data={"filters": filters(data), "rows": rows},
        request=request,
    )


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will show as text, never run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_DANGEROUS_START) else text


class _Line:
    """A file-like object whose write returns the line, for csv.writer to stream through."""

    def write(self, line: str) -> str:
        return line


def csv_lines(events: QuerySet[FilterEvent]) -> Iterator[str]:
    """The header and one line an event; the byte-order mark lets Excel read UTF-8."""
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow(HEADER)
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow([safe_cell(value) for value in _row(event)])


def _row(event: FilterEvent) -> list[object]:
    return [
        timezone.localtime(event.at).isoformat(timespec="seconds"),
        event.source,
        event.action,
        event.category,
        event.rule,
        event.group,
        event.client,
        event.username,
        event.host,
        event.url,
        event.search_terms,
    ]
