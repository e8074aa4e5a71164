"""Policy snapshots: the versioned JSON file the web app publishes and the filters load.

The schema (``format`` ``safeschool-policy``, ``version`` 1) is documented in
docs/filter-engine.md. Every problem with a snapshot raises SnapshotError naming the field
(``groups[1].categories[0].name``); nothing is half-loaded.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .builder import ILLEGAL, IndexBuilder
from .errors import ListError, SnapshotError
from .lists import ListContents, compile_expression, read_category_dir, read_list, url_entry
from .model import (
    IN_ADDR,
    LABEL,
    Group,
    Item,
    RuleSet,
    SafeSearch,
    TimeCondition,
    Variant,
    bind_variants,
    parse_networks,
)
from .normalise import normalise_entry
from .policy import SAFESCHOOL, Policy, PolicyInfo
from .snapshot_schema import (
    FORMAT,
    SUPPORTED_VERSIONS,
    check_snapshot,
    parse_schedules,
    restrictiveness,
)
from .timespec import TimeSpec

__all__ = ["FORMAT", "SUPPORTED_VERSIONS", "load_snapshot", "parse_snapshot", "write_snapshot"]

_SOURCE_KINDS = ("squidguard", "domains", "urls", "expressions", "hosts", "adblock")


def load_snapshot(path: str | os.PathLike[str]) -> Policy:
    """Load and validate a snapshot file and the list files it references.

    Raises:
        SnapshotError: the file is unreadable, not JSON (corrupt or partially written), of
            another format or version, fails the schema, or references an unreadable list.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: corrupt or partial snapshot (not valid JSON: {exc})") from exc
    return parse_snapshot(data, source=str(path), base=Path(path).resolve().parent)


def parse_snapshot(data: Any, source: str = "<snapshot>", base: Path | None = None) -> Policy:
    """Build a Policy from snapshot data already decoded from JSON.

    Relative list paths are resolved against ``lists_root`` if given, else ``base``.
    """
    check_snapshot(data, source)
    root = Path(data.get("lists_root") or base or Path.cwd())
    if not root.is_absolute() and base is not None:
        root = base / root
    schedules = parse_schedules(data.get("schedules", {}), source)
    builder = IndexBuilder()
    try:
        _add_lists(builder, data, root, source)
    except ListError as exc:
        raise SnapshotError(f"{source}: {exc}") from exc
    indexes = builder.build()
    groups = [_group(g, i, schedules, source, data) for i, g in enumerate(data["groups"])]
    for group in groups:
        group.variants = bind_variants(group.variants, indexes)
    fallback = _fallback(groups, data.get("unmatched_group"), source)
    stats = {
        name.removeprefix("cat:"): s
        for name, s in indexes.stats.items()
        if (name.startswith("cat:") or name == ILLEGAL) and "!" not in name
    }
    info = PolicyInfo(source, "snapshot", data["version"], stats, indexes.problems)
    illegal = data.get("illegal") or {}
    return Policy(
        indexes,
        groups,
        fallback,
        identity=SAFESCHOOL,
        info=info,
        illegal_redirect=illegal.get("redirect"),
        default_redirect=data.get("redirect"),
    )


def _add_lists(builder: IndexBuilder, data: dict[str, Any], root: Path, source: str) -> None:
    builder.add(ILLEGAL, _contents(data.get("illegal") or {}, root, "illegal", source))
    for name, spec in data.get("categories", {}).items():
        builder.add(f"cat:{name}", _contents(spec, root, f"categories.{name}", source))
    builder.add("allow:*", _inline(data.get("allow", []), "allow", source))
    builder.add("deny:*", _inline(data.get("deny", []), "deny", source))
    for i, group in enumerate(data["groups"]):
        builder.add(
            f"allow:{group['name']}", _inline(group.get("allow", []), f"groups[{i}].allow", source)
        )
        builder.add(
            f"deny:{group['name']}", _inline(group.get("deny", []), f"groups[{i}].deny", source)
        )


def _contents(spec: dict[str, Any], root: Path, where: str, source: str) -> ListContents:
    """Entries of a category (or the illegal layer): list files plus inline entries."""
    contents = ListContents()
    for i, item in enumerate(spec.get("sources", [])):
        kind, path = item["type"], root / item["path"]
        if kind not in _SOURCE_KINDS:
            raise SnapshotError(f"{source}: {where}.sources[{i}].type: unknown type {kind!r}")
        contents.extend(read_category_dir(path) if kind == "squidguard" else read_list(path, kind))
    contents.extend(_inline(spec.get("domains", []) + spec.get("urls", []), where, source))
    for i, pattern in enumerate(spec.get("expressions", [])):
        try:
            contents.expressions.append(compile_expression(pattern))
        except Exception as exc:
            raise SnapshotError(f"{source}: {where}.expressions[{i}]: {exc}") from exc
    return contents


def _inline(entries: list[str], where: str, source: str) -> ListContents:
    """Inline domain (``example.com``) and URL (``example.com/path``) entries."""
    contents = ListContents()
    for i, entry in enumerate(entries):
        parsed = url_entry(entry)
        if parsed is None:
            raise SnapshotError(f"{source}: {where}[{i}]: not a domain or URL: {entry!r}")
        if parsed[1]:
            contents.urls.append(parsed)
        else:
            contents.domains.append(normalise_entry(parsed[0]))
    return contents


def _group(
    spec: dict[str, Any],
    index: int,
    schedules: dict[str, TimeSpec],
    source: str,
    data: dict[str, Any],
) -> Group:
    name = spec["name"]
    where = f"{source}: groups[{index}]"
    items = [
        Item(LABEL, True, "allow-list", "allow-list", label="allow:*"),
        Item(LABEL, True, "allow-list", "allow-list", label=f"allow:{name}"),
        Item(LABEL, False, "deny-list", "deny-list", label="deny:*"),
        Item(LABEL, False, "deny-list", "deny-list", label=f"deny:{name}"),
    ]
    for j, rule in enumerate(spec.get("categories", [])):
        if rule["name"] not in data.get("categories", {}):
            raise SnapshotError(f"{where}.categories[{j}].name: unknown category {rule['name']!r}")
        items.append(
            Item(
                LABEL,
                rule.get("action", "block") == "allow",
                rule["name"],
                "category",
                when=_condition(rule, schedules, f"{where}.categories[{j}]"),
                label=f"cat:{rule['name']}",
            )
        )
    if spec.get("block_ip_urls", False):
        items.append(Item(IN_ADDR, False, "in-addr", "ip-address"))
    safe = spec.get("safe_search", {})
    rules = RuleSet(
        tuple(items),
        default_allow=spec.get("default", "allow") == "allow",
        redirect=spec.get("redirect"),
        safe_search=SafeSearch(**safe),
    )
    try:
        networks = tuple(n for a in spec.get("addresses", []) for n in parse_networks(a))
    except ValueError as exc:
        raise SnapshotError(f"{where}.addresses: {exc}") from exc
    return Group(
        name,
        networks,
        frozenset(u.lower() for u in spec.get("users", [])),
        variants=[Variant(rules)],
        restrictiveness=restrictiveness(spec),
    )


def _condition(
    rule: dict[str, Any], schedules: dict[str, TimeSpec], where: str
) -> TimeCondition | None:
    for key in ("within", "outside"):
        if key in rule:
            if rule[key] not in schedules:
                raise SnapshotError(f"{where}.{key}: unknown schedule {rule[key]!r}")
            return TimeCondition(schedules[rule[key]], outside=key == "outside")
    return None


def _fallback(groups: list[Group], wanted: str | None, source: str) -> Group:
    """The group for clients in no group: the named one, else the most restrictive."""
    if wanted is not None:
        for group in groups:
            if group.name == wanted:
                return group
        raise SnapshotError(f"{source}: unmatched_group: no group called {wanted!r}")
    return max(groups, key=lambda g: g.restrictiveness)


def write_snapshot(data: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Validate snapshot data and write it atomically (temporary file, fsync, rename).

    Readers see either the old file or the new one, never a partial write. Raises
    SnapshotError (and writes nothing) if the data does not follow the schema.
    """
    check_snapshot(data, "<new snapshot>")
    target = Path(path)
    text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
