"""Fixtures for the daemons: a policy snapshot, a fake upstream, and a running DNS filter."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from safeschool.engine import write_snapshot
from tests.daemons.fakedns import FakeUpstream

SAFESCHOOL = str(Path(sys.executable).parent / "safeschool")
BLOCK_PAGE = "302:http://127.0.0.1:8000/blocked?url=%u&category=%t&group=%s"


def policy_data(extra_adult: list[str] | None = None) -> dict[str, Any]:
    """Staff on 127.0.0.2, pupils on the rest of 127/8; pupils have safe search."""
    return {
        "format": "safeschool-policy",
        "version": 1,
        "redirect": BLOCK_PAGE,
        "illegal": {"domains": ["illegal.test"]},
        "categories": {
            "adult": {"domains": ["adult.test", *(extra_adult or [])]},
            "social_networks": {"domains": ["social.test"]},
        },
        "groups": [
            {"name": "staff", "addresses": ["127.0.0.2/32"], "categories": [{"name": "adult"}]},
            {
                "name": "pupils",
                "addresses": ["127.0.0.0/8"],
                "categories": [{"name": "adult"}, {"name": "social_networks"}],
                "safe_search": {
                    "google": True,
                    "bing": True,
                    "duckduckgo": True,
                    "youtube": "strict",
                },
            },
        ],
    }


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.json"
    write_snapshot(policy_data(), path)
    return path


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


class RunningDns:
    def __init__(self, process: subprocess.Popen[str], port: int, spool: Path) -> None:
        self.process = process
        self.port = port
        self.spool = spool


def start_dns(policy: Path, upstream: str, spool: Path, *extra: str) -> RunningDns:
    process = subprocess.Popen(
        [
            SAFESCHOOL,
            "dns",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            upstream,
            "--policy",
            str(policy),
            "--spool",
            str(spool),
            "--timeout",
            "1",
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r":(\d+) \(UDP and TCP\)", line)
    if found is None:
        process.kill()
        process.wait()
        raise AssertionError(f"DNS filter did not start: {line!r}")
    return RunningDns(process, int(found.group(1)), spool)


def stop_process(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def dns_server(policy_file: Path, upstream: FakeUpstream, tmp_path: Path) -> Iterator[RunningDns]:
    running = start_dns(policy_file, f"127.0.0.1:{upstream.port}", tmp_path / "spool")
    try:
        yield running
    finally:
        stop_process(running.process)
