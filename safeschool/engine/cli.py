"""``safeschool filter decide`` and ``safeschool filter check-config``, without Django."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO

from .errors import PolicyError
from .holder import load_policy
from .policy import Policy

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors with exit code 2 without printing usage twice."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``safeschool filter``."""
    parser = _Parser(
        prog="safeschool filter", description="Ask the filter engine about URLs, or check a policy."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    decide = sub.add_parser("decide", help="print the decision for each URL as JSON")
    decide.add_argument(
        "--policy", required=True, metavar="PATH", help="policy snapshot (JSON) or squidGuard.conf"
    )
    decide.add_argument("--client", metavar="IP", help="client address")
    decide.add_argument("--user", metavar="NAME", help="authenticated user name")
    decide.add_argument(
        "--at",
        metavar="ISO-8601",
        type=_when,
        help="judge time rules at this moment (default: now)",
    )
    decide.add_argument(
        "urls",
        nargs="+",
        metavar="URL",
        help="URLs or host names; '-' reads them from standard input",
    )
    check = sub.add_parser("check-config", help="load a policy and report what it holds")
    check.add_argument(
        "--policy", required=True, metavar="PATH", help="policy snapshot (JSON) or squidGuard.conf"
    )
    return parser


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 date and time (e.g. 2025-03-14T12:30)"
        ) from None


def main(
    argv: list[str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``safeschool filter`` with ``argv`` (not including the word ``filter``).

    ``decide`` prints one JSON object per URL, one a line, with ``url``, ``action``,
    ``category``, ``group``, ``rule`` and ``redirect``. ``check-config`` prints the entries
    per category and every malformed line. Exit codes: 0 success; 1 when check-config found
    malformed lines; 2 for usage errors and policies that cannot be loaded.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as exc:
        err.write(f"safeschool filter: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        policy = load_policy(args.policy)
    except PolicyError as exc:
        err.write(f"safeschool filter: cannot load policy: {exc}\n")
        return EXIT_USAGE
    if args.command == "decide":
        urls = _urls(args.urls, stdin or sys.stdin)
        return _decide(policy, urls, args.client, args.user, args.at, out)
    return _check(policy, out)


def _urls(given: list[str], stdin: TextIO) -> Iterable[str]:
    for url in given:
        if url == "-":
            yield from (line.strip() for line in stdin if line.strip())
        else:
            yield url


def _decide(
    policy: Policy,
    urls: Iterable[str],
    client: str | None,
    user: str | None,
    when: datetime | None,
    out: TextIO,
) -> int:
    for url in urls:
        decision = policy.decide(url, client, user, when)
        row = {"url": url, **decision.as_dict()}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()
    return EXIT_OK


def _check(policy: Policy, out: TextIO) -> int:
    info = policy.info
    version = f", version {info.version}" if info.version is not None else ""
    out.write(f"Policy {info.source} ({info.kind}{version})\n")
    out.write(
        f"Groups: {', '.join(g.name for g in policy.groups) or '(none)'}; "
        f"clients in no group get: {policy.fallback.name}\n"
    )
    out.write("Entries per category:\n")
    for name, stats in sorted(info.stats.items()):
        out.write(
            f"  {name}: {stats.domains} domains, {stats.urls} URLs, "
            f"{stats.expressions} expressions"
            + (f", {stats.exceptions} exceptions" if stats.exceptions else "")
            + "\n"
        )
    problems = info.problems
    out.write(f"Malformed lines: {problems.total}\n")
    for problem in problems.items:
        out.write(f"  {problem}\n")
    if problems.total > len(problems.items):
        out.write(f"  ... and {problems.total - len(problems.items)} more\n")
    return EXIT_PROBLEMS if problems.total else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
