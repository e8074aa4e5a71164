"""Building and publishing the policy snapshot the filter daemons load."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from safeschool.engine import write_snapshot
from safeschool.filtering.models import (
    FilterCategory,
    FilterGroup,
    ListEntry,
    PolicyVersion,
    Schedule,
)
from safeschool.filtering.sources import category_sources
from safeschool.schools.models import School

CHECK_DOMAIN = "safeschool.invalid"
ILLEGAL_FILES = (("domains", "domains"), ("urls", "urls"), ("expressions", "expressions"))


def check_entry(category: str) -> str:
    """The test entry planted in each category (and the illegal layer) for filtering checks."""
    return f"check-{category.replace('_', '-')}.{CHECK_DOMAIN}"


def snapshot_path(school: School) -> Path:
    return Path(settings.DATA_DIR) / "policies" / f"{school.slug}.json"


def illegal_layer_files() -> list[Path]:
    folder = Path(settings.ILLEGAL_LAYER_DIR)
    return [folder / name for name, _ in ILLEGAL_FILES if (folder / name).is_file()]


def _illegal() -> dict[str, Any]:
    sources = [
        {"type": kind, "path": str(Path(settings.ILLEGAL_LAYER_DIR) / name)}
        for name, kind in ILLEGAL_FILES
        if (Path(settings.ILLEGAL_LAYER_DIR) / name).is_file()
    ]
    return {
        "sources": sources,
        "domains": [check_entry("illegal")],
        "redirect": settings.BLOCK_PAGE_URL,
    }


def _entries(school: School, group: FilterGroup | None, kind: str) -> list[str]:
    rows = ListEntry.objects.filter(school=school, group=group, kind=kind)
    return sorted({row.entry for row in rows})


def _group(group: FilterGroup, schedules: dict[Any, str]) -> dict[str, Any]:
    categories = []
    for rule in group.categories.all():
        item: dict[str, Any] = {"name": rule.category}
        if rule.when != "always" and rule.schedule_id:
            item[rule.when] = schedules[rule.schedule_id]
        categories.append(item)
    data: dict[str, Any] = {
        "name": group.name,
        "addresses": group.addresses.split(),
        "users": group.usernames.split(),
        "allow": _entries(group.school, group, "allow"),
        "deny": _entries(group.school, group, "deny"),
        "categories": categories,
        "block_ip_urls": group.block_ip_urls,
        "safe_search": {
            "google": group.safe_search,
            "bing": group.safe_search,
            "duckduckgo": group.safe_search,
            "youtube": group.youtube,
        },
        "default": "block" if group.no_access else group.default_action,
    }
    if group.no_access:
        data["allow"] = []
    return data


def build(school: School) -> dict[str, Any]:
    """The snapshot for the school's policy as it stands in the database."""
    schedules = {s.pk: s.name for s in Schedule.objects.filter(school=school)}
    groups = FilterGroup.objects.filter(school=school).prefetch_related("categories")
    sources = category_sources(school)
    return {
        "format": "safeschool-policy",
        "version": 1,
        "generated": timezone.now().isoformat(),
        "name": school.name,
        "redirect": settings.BLOCK_PAGE_URL,
        "illegal": _illegal(),
        "categories": {
            category: {"sources": sources.get(category, []), "domains": [check_entry(category)]}
            for category in FilterCategory.values
        },
        "schedules": {
            s.name: [
                {"days": s.days.split(","), "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"}
            ]
            for s in Schedule.objects.filter(school=school)
        },
        "allow": _entries(school, None, "allow"),
        "deny": _entries(school, None, "deny"),
        "groups": [_group(g, schedules) for g in groups],
    }


def publish(school: School, actor: Any) -> PolicyVersion:
    """Write the snapshot atomically where the daemons read it, and record the version.
    A snapshot the engine refuses raises, and nothing is written or recorded."""
    data = build(school)
    path = snapshot_path(school)
    path.parent.mkdir(parents=True, exist_ok=True)
    last = PolicyVersion.objects.filter(school=school).order_by("-number").first()
    number = (last.number if last else 0) + 1
    data["name"] = f"{school.name}, version {number}"
    write_snapshot(data, path)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()
    summary = {
        "groups": len(data["groups"]),
        "allow": len(data["allow"]) + sum(len(g["allow"]) for g in data["groups"]),
        "deny": len(data["deny"]) + sum(len(g["deny"]) for g in data["groups"]),
    }
    return PolicyVersion.objects.create(
        school=school,
        number=number,
        published_by=actor,
        path=str(path),
        sha256=digest,
        summary=summary,
    )
