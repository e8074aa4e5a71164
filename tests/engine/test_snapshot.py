"""Snapshot schema validation, atomic writing, and keeping the previous policy on failure."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from safeschool.engine import (
    PolicyHolder,
    SnapshotError,
    load_policy,
    parse_snapshot,
    write_snapshot,
)

FIXTURES = Path(__file__).parent / "fixtures"


def minimal() -> dict[str, Any]:
    return {
        "format": "safeschool-policy",
        "version": 1,
        "categories": {"adult": {"domains": ["adult.example"]}},
        "illegal": {"domains": ["illegal.example"]},
        "groups": [
            {"name": "pupils", "addresses": ["10.0.0.0/8"], "categories": [{"name": "adult"}]}
        ],
    }


def test_minimal_snapshot_with_embedded_lists_decides() -> None:
    policy = parse_snapshot(minimal())
    assert policy.decide("http://adult.example/", "10.1.1.1").category == "adult"
    assert policy.decide("http://illegal.example/").rule == "illegal"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "format: must be 'safeschool-policy'"),
        (lambda d: d.update(version=99), "version: 99 is not supported"),
        (lambda d: d.pop("groups"), "groups: must be a non-empty list"),
        (lambda d: d.update(colour="blue"), "unknown field"),
        (lambda d: d["groups"][0].update(default="maybe"), r"groups\[0\].default"),
        (
            lambda d: d["groups"][0]["categories"].append({"name": "nope"}),
            r"groups\[0\].categories\[1\].name: unknown category 'nope'",
        ),
        (lambda d: d["groups"][0].update(addresses=["10.0.0.0/99"]), r"groups\[0\].addresses"),
        (
            lambda d: d["categories"]["adult"].update(domains=["not a domain"]),
            "not a domain or URL",
        ),
        (lambda d: d["groups"].append(copy.deepcopy(d["groups"][0])), "appears twice"),
        (lambda d: d.update(schedules={"s": [{"days": ["funday"]}]}), r"schedules.s\[0\]"),
        (lambda d: d["groups"][0].update(safe_search={"youtube": "very"}), "youtube"),
        (
            lambda d: d["categories"]["adult"].update(
                sources=[{"type": "domains", "path": "/nonexistent/list"}]
            ),
            "cannot read list",
        ),
    ],
)
def test_invalid_snapshots_raise_naming_the_field(change: Any, message: str) -> None:
    data = minimal()
    change(data)
    with pytest.raises(SnapshotError, match=message):
        parse_snapshot(data)


def test_truncated_snapshot_file_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(minimal())[:-20])
    with pytest.raises(SnapshotError, match="corrupt or partial"):
        load_policy(path)


def test_write_snapshot_is_atomic_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    write_snapshot(minimal(), path)
    assert load_policy(path).decide("adult.example", "10.0.0.1").blocked
    assert [p.name for p in tmp_path.iterdir()] == ["policy.json"]


def test_write_snapshot_refuses_bad_data_and_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    write_snapshot(minimal(), path)
    before = path.read_bytes()
    bad = minimal()
    bad["version"] = 2
    with pytest.raises(SnapshotError):
        write_snapshot(bad, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["policy.json"]


def test_holder_keeps_the_previous_policy_when_a_reload_fails(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    write_snapshot(minimal(), path)
    holder = PolicyHolder(path)
    assert holder.reload() and holder.policy is not None
    first = holder.policy
    path.write_text('{"format": "safeschool-policy", "version": 1, "groups": [')
    assert holder.reload() is False
    assert holder.policy is first
    assert isinstance(holder.last_error, SnapshotError)
    assert holder.policy.decide("adult.example", "10.0.0.1").blocked
    newer = minimal()
    newer["categories"]["adult"]["domains"].append("more.example")
    write_snapshot(newer, path)
    assert holder.reload() and holder.policy is not first
    assert holder.policy.decide("more.example", "10.0.0.1").blocked


def test_fixture_snapshot_lists_resolve_relative_to_the_snapshot() -> None:
    policy = load_policy(FIXTURES / "snapshot.json")
    assert policy.info.stats["adult"].domains == 4
    assert policy.info.problems.total == 6
