"""`safeschool squid-helper`: a squidGuard-compatible Squid helper. Django-free.

Reads whatever request lines are waiting, answers them all, and writes (flushes) the answers
before reading again: Squid without concurrency gets each answer at once; with concurrency
(channel IDs) a burst of requests is answered in one write. See docs/daemons.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from safeschool.engine import PolicyError

from .common import (
    PolicyWatcher,
    default_spool_dir,
    env_flag,
    open_event_log,
    open_policy,
    setup_logging,
)
from .squidhelper import SquidHelper

READ_SIZE = 64 * 1024  # below malloc's mmap threshold: a bigger read costs three more system calls


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="safeschool squid-helper", description=__doc__)
    parser.add_argument("--policy", default=os.environ.get("SAFESCHOOL_POLICY", ""))
    parser.add_argument(
        "--external-acl", action="store_true", help="speak external_acl_type, not url_rewrite"
    )
    parser.add_argument(
        "--block-url",
        default=os.environ.get("SAFESCHOOL_BLOCK_URL", "http://127.0.0.1:8000/blocked"),
        help="block page when the policy names none",
    )
    parser.add_argument("--spool", type=Path, default=None, help="event log directory")
    parser.add_argument("--no-event-log", action="store_true")
    parser.add_argument(
        "--no-log-allowed",
        action="store_true",
        default=not env_flag("SAFESCHOOL_LOG_ALLOWED", True),
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Answer Squid on standard input and output until it closes the pipe."""
    args = build_parser().parse_args(argv)
    setup_logging("WARNING")
    if not args.policy:
        print("safeschool squid-helper: --policy is required", file=sys.stderr)
        return 2
    try:
        holder = open_policy(args.policy)
    except PolicyError as exc:
        print(f"safeschool squid-helper: {exc}", file=sys.stderr)
        return 1
    # Watching starts from the file just loaded: a policy published from then on is picked up.
    watcher = PolicyWatcher(holder)
    spool = None if args.no_event_log else (args.spool or default_spool_dir())
    events = open_event_log(spool, "squid")
    helper = SquidHelper(
        holder,
        events,
        external_acl=args.external_acl,
        block_url=args.block_url,
        log_allowed=not args.no_log_allowed,
    )
    watcher.start()
    try:
        serve(helper.answer_block, sys.stdin.fileno(), sys.stdout.fileno())
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        events.close()
    return 0


def serve(answer: Callable[[bytes], bytes], fd_in: int, fd_out: int) -> None:
    """Read lines from `fd_in` and write each batch of answers to `fd_out` at once.

    `answer` gets a block of complete lines, each ending in a newline, and returns the replies.
    """
    pending = b""
    while True:
        chunk = os.read(fd_in, READ_SIZE)
        if not chunk:
            if pending.strip():
                _write_all(fd_out, answer(pending + b"\n"))
            return
        data = pending + chunk if pending else chunk
        end = data.rfind(b"\n") + 1
        pending = data[end:]
        if len(pending) > 4 * READ_SIZE:
            # Answered BH as too long, so that the stream stays in step.
            data, end, pending = data + b"\n", len(data) + 1, b""
        if end:
            _write_all(fd_out, answer(data[:end]))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
