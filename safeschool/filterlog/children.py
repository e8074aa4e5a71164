"""The filter processes `safeschool up` runs beside the web app: the DNS filter and the
ingest worker. They are separate processes (the DNS filter never imports Django) and stop
when `up` stops, or if it dies."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings

from safeschool.engine import write_snapshot

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1

STARTER_POLICY: dict[str, Any] = {
    "format": "safeschool-policy",
    "version": 1,
    "name": "Starter policy: safe search on, nothing else blocked yet",
    "redirect": "302:http://127.0.0.1:8000/blocked?url=%u&category=%t&group=%s",
    "groups": [
        {
            "name": "everyone",
            "addresses": ["0.0.0.0/0", "::/0"],
            "safe_search": {"google": True, "bing": True, "duckduckgo": True, "youtube": "strict"},
        }
    ],
}


def policy_path() -> Path:
    """The policy the daemons load: SAFESCHOOL_POLICY; else the policy published for
    SAFESCHOOL_FILTER_SCHOOL; else a starter one in DATA_DIR."""
    if settings.FILTER_POLICY:
        return Path(settings.FILTER_POLICY)
    if settings.FILTER_SCHOOL:
        published = Path(settings.DATA_DIR) / "policies" / f"{settings.FILTER_SCHOOL}.json"
        if published.exists():
            return published
    path = Path(settings.DATA_DIR) / "policy.json"
    if not path.exists():
        write_snapshot(STARTER_POLICY, path)
    return path


def _die_with_parent() -> None:
    """In the child: receive SIGTERM if `up` dies without stopping us (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "safeschool.cli", *args]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)  # noqa: S603


def start(dns: bool, ingest: bool, listen: str, upstream: str) -> list[subprocess.Popen[bytes]]:
    """Start the chosen children; SIGTERM to `up` now stops it cleanly (and them with it)."""
    children = []
    if dns:
        args = ["dns", "--listen", listen, "--policy", str(policy_path())]
        args += ["--spool", str(settings.SPOOL_DIR)]
        if upstream:
            args += ["--upstream", upstream]
        if not settings.LOG_ALLOWED:
            args.append("--no-log-allowed")
        children.append(_start(args))
    if ingest:
        args = ["ingest", "--spool", str(settings.SPOOL_DIR)]
        if settings.FILTER_SCHOOL:
            args += ["--school", settings.FILTER_SCHOOL]
        children.append(_start(args))
    signal.signal(signal.SIGTERM, _interrupt)
    return children


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop(children: list[subprocess.Popen[bytes]]) -> None:
    """Ask each child to stop, and make sure it has."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
