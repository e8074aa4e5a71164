"""Structural checks of policy snapshot data, with errors that name the offending field."""

from __future__ import annotations

import re
from typing import Any

from .errors import SnapshotError
from .timespec import DAY_NAMES, TimeRule, TimeSpec, parse_date_spec, parse_ranges

FORMAT = "safeschool-policy"
"""Value of the ``format`` field of every snapshot."""
SUPPORTED_VERSIONS = frozenset({1})
"""Snapshot schema versions this engine reads."""

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TOP_KEYS = {
    "format",
    "version",
    "generated",
    "name",
    "lists_root",
    "categories",
    "illegal",
    "schedules",
    "allow",
    "deny",
    "groups",
    "unmatched_group",
    "redirect",
}
_GROUP_KEYS = {
    "name",
    "addresses",
    "users",
    "allow",
    "deny",
    "categories",
    "block_ip_urls",
    "safe_search",
    "default",
    "redirect",
    "description",
}
_LIST_KEYS = {"sources", "domains", "urls", "expressions", "redirect", "description"}
_RULE_KEYS = {"name", "action", "within", "outside"}
_SAFE_KEYS = {"google": bool, "bing": bool, "duckduckgo": bool, "youtube": str}


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> SnapshotError:
        return SnapshotError(f"{self.source}: {where}: {message}")

    def mapping(self, value: Any, where: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be an object")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field(s) {', '.join(unknown)}")
        return value

    def strings(self, value: Any, where: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(where, "must be a list of strings")
        return value

    def name(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.fail(where, "must be a name of letters, digits, '.', '_' or '-'")
        return value

    def optional_str(self, data: dict[str, Any], key: str, where: str) -> None:
        if key in data and not isinstance(data[key], str):
            raise self.fail(f"{where}.{key}" if where else key, "must be a string")


def check_snapshot(data: Any, source: str) -> None:
    """Raise SnapshotError unless ``data`` follows the snapshot schema (lists not read)."""
    check = _Checker(source)
    if not isinstance(data, dict):
        raise check.fail("top level", "must be an object")
    if data.get("format") != FORMAT:
        raise check.fail("format", f"must be {FORMAT!r} (is this a SafeSchool snapshot?)")
    if data.get("version") not in SUPPORTED_VERSIONS:
        raise check.fail(
            "version",
            f"{data.get('version')!r} is not supported "
            f"(this engine reads {sorted(SUPPORTED_VERSIONS)})",
        )
    check.mapping(data, "top level", _TOP_KEYS)
    for key in ("lists_root", "redirect", "unmatched_group", "generated", "name"):
        check.optional_str(data, key, "")
    categories = data.get("categories", {})
    if not isinstance(categories, dict):
        raise check.fail("categories", "must be an object")
    for name, spec in categories.items():
        check.name(name, f"categories.{name}")
        _check_list(check, spec, f"categories.{name}")
    if "illegal" in data:
        _check_list(check, data["illegal"], "illegal")
    for key in ("allow", "deny"):
        check.strings(data.get(key, []), key)
    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        raise check.fail("groups", "must be a non-empty list")
    seen: set[str] = set()
    for i, group in enumerate(groups):
        _check_group(check, group, f"groups[{i}]", seen)


def _check_list(check: _Checker, spec: Any, where: str) -> None:
    spec = check.mapping(spec, where, _LIST_KEYS)
    for key in ("domains", "urls", "expressions"):
        check.strings(spec.get(key, []), f"{where}.{key}")
    check.optional_str(spec, "redirect", where)
    sources = spec.get("sources", [])
    if not isinstance(sources, list):
        raise check.fail(f"{where}.sources", "must be a list")
    for i, item in enumerate(sources):
        item = check.mapping(item, f"{where}.sources[{i}]", {"type", "path"})
        if not isinstance(item.get("type"), str) or not isinstance(item.get("path"), str):
            raise check.fail(f"{where}.sources[{i}]", "needs a 'type' and a 'path'")


def _check_group(check: _Checker, group: Any, where: str, seen: set[str]) -> None:
    group = check.mapping(group, where, _GROUP_KEYS)
    name = check.name(group.get("name"), f"{where}.name")
    if name in seen:
        raise check.fail(f"{where}.name", f"group {name!r} appears twice")
    seen.add(name)
    for key in ("addresses", "users", "allow", "deny"):
        check.strings(group.get(key, []), f"{where}.{key}")
    if group.get("default", "allow") not in ("allow", "block"):
        raise check.fail(f"{where}.default", "must be 'allow' or 'block'")
    if not isinstance(group.get("block_ip_urls", False), bool):
        raise check.fail(f"{where}.block_ip_urls", "must be true or false")
    check.optional_str(group, "redirect", where)
    rules = group.get("categories", [])
    if not isinstance(rules, list):
        raise check.fail(f"{where}.categories", "must be a list")
    for j, rule in enumerate(rules):
        rule = check.mapping(rule, f"{where}.categories[{j}]", _RULE_KEYS)
        check.name(rule.get("name"), f"{where}.categories[{j}].name")
        if rule.get("action", "block") not in ("allow", "block"):
            raise check.fail(f"{where}.categories[{j}].action", "must be 'allow' or 'block'")
        if "within" in rule and "outside" in rule:
            raise check.fail(f"{where}.categories[{j}]", "give 'within' or 'outside', not both")
    _check_safe_search(check, group.get("safe_search", {}), f"{where}.safe_search")


def _check_safe_search(check: _Checker, safe: Any, where: str) -> None:
    safe = check.mapping(safe, where, set(_SAFE_KEYS))
    for key, kind in _SAFE_KEYS.items():
        if key in safe and not isinstance(safe[key], kind):
            raise check.fail(f"{where}.{key}", f"must be a {kind.__name__}")
    if safe.get("youtube", "off") not in ("off", "moderate", "strict"):
        raise check.fail(f"{where}.youtube", "must be 'off', 'moderate' or 'strict'")


def parse_schedules(data: Any, source: str) -> dict[str, TimeSpec]:
    """Parse the ``schedules`` object: name -> list of weekly or date rules."""
    check = _Checker(source)
    if not isinstance(data, dict):
        raise check.fail("schedules", "must be an object")
    out = {}
    for name, rules in data.items():
        check.name(name, f"schedules.{name}")
        if not isinstance(rules, list) or not rules:
            raise check.fail(f"schedules.{name}", "must be a non-empty list")
        out[name] = TimeSpec(
            name,
            tuple(
                _schedule_rule(check, rule, f"schedules.{name}[{i}]")
                for i, rule in enumerate(rules)
            ),
        )
    return out


def _schedule_rule(check: _Checker, rule: Any, where: str) -> TimeRule:
    rule = check.mapping(rule, where, {"days", "dates", "start", "end"})
    try:
        ranges: tuple[tuple[int, int], ...] = ()
        if "start" in rule or "end" in rule:
            ranges = parse_ranges(f"{rule.get('start', '00:00')}-{rule.get('end', '24:00')}")
        if "dates" in rule:
            dates = check.strings(rule["dates"], f"{where}.dates")
            if len(dates) not in (1, 2):
                raise ValueError("'dates' holds one date or a first and last date")
            return TimeRule(
                dates=parse_date_spec("-".join(d.replace("-", ".") for d in dates)), ranges=ranges
            )
        days = check.strings(rule.get("days", list(DAY_NAMES)), f"{where}.days")
        if not all(d[:3].lower() in DAY_NAMES for d in days):
            raise ValueError(f"days must be names such as 'mon' or 'friday', got {days}")
        return TimeRule(days=frozenset(DAY_NAMES[d[:3].lower()] for d in days), ranges=ranges)
    except ValueError as exc:
        raise check.fail(where, str(exc)) from None


def restrictiveness(group: dict[str, Any]) -> int:
    """A score ranking how restrictive a group is; clients in no group get the highest."""
    blocked = sum(1 for r in group.get("categories", []) if r.get("action", "block") == "block")
    safe = group.get("safe_search", {})
    return (
        (100_000 if group.get("default", "allow") == "block" else 0)
        + 100 * blocked
        + 10 * bool(group.get("block_ip_urls"))
        + sum(1 for v in safe.values() if v not in (False, "off"))
        - len(group.get("allow", []))
    )
