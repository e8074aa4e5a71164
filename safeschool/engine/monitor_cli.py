"""``safeschool monitor scan``: risk terms in texts read from standard input, without Django.

One text a line in, one JSON object a line out, in the same order and flushed at once, so that
another program can drive it line by line::

    $ echo "how to k1ll myself" | safeschool monitor scan
    {"text": "how to k1ll myself", "matches": [{"term": "how to kill myself", ...}]}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import BinaryIO, TextIO

from .keywords import LibraryError, Match, Matcher, load_allow_phrases, load_library

EXIT_OK = 0
EXIT_BAD_LINES = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors with exit code 2 instead of leaving the process."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``safeschool monitor``."""
    parser = _Parser(prog="safeschool monitor", description="Find risk terms in texts.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    scan = sub.add_parser(
        "scan",
        help="read one text a line on standard input, print its matches as JSON",
        description="Read one text a line on standard input and print one JSON object a "
        "line: the text and its matches (term, category, severity, matched).",
    )
    scan.add_argument("--language", default="en", help="library language (default: en)")
    scan.add_argument("--library", metavar="PATH", help="risk library JSON instead of the default")
    scan.add_argument("--allow", metavar="PATH", help="allow-list JSON instead of the default")
    scan.add_argument(
        "--urls",
        action="store_true",
        help="read URLs: scan their search terms and host and path words",
    )
    scan.add_argument(
        "--min-severity",
        type=int,
        choices=range(1, 6),
        default=1,
        metavar="N",
        help="report only matches of severity N (1-5) or more",
    )
    return parser


def main(
    argv: list[str] | None = None,
    stdin: BinaryIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``safeschool monitor`` with ``argv`` (not including the word ``monitor``).

    Exit codes: 0 success; 1 when some input lines were not valid UTF-8 (each is answered with
    an ``error`` and no matches, and named on standard error); 2 for usage errors and libraries
    that cannot be loaded.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    except _UsageError as exc:
        err.write(f"safeschool monitor: error: {exc}\n")
        return EXIT_USAGE
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        matcher = _matcher(args.language, args.library, args.allow)
    except LibraryError as exc:
        err.write(f"safeschool monitor: cannot load the risk library: {exc}\n")
        return EXIT_USAGE
    source = stdin if stdin is not None else sys.stdin.buffer
    return _scan(matcher, source, out, err, args.urls, args.min_severity)


def _matcher(language: str, library: str | None, allow: str | None) -> Matcher:
    terms = load_library(language, library)
    return Matcher.build(terms, load_allow_phrases(language, allow))


def _scan(
    matcher: Matcher, source: BinaryIO, out: TextIO, err: TextIO, urls: bool, min_severity: int
) -> int:
    """Answer each line of ``source``; return 1 if any line was not valid UTF-8."""
    bad = 0
    for number, line in enumerate(source, 1):
        raw = line.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad += 1
            text = raw.decode("utf-8", errors="replace")
            problem = f"line {number} is not valid UTF-8 (byte {exc.start + 1})"
            err.write(f"safeschool monitor: {problem}; no matches reported for it\n")
            _write(out, {"text": text, "matches": [], "error": problem})
            continue
        found = matcher.scan_url(text) if urls else matcher.scan(text)
        _write(out, {"text": text, "matches": _rows(found, min_severity)})
    return EXIT_BAD_LINES if bad else EXIT_OK


def _rows(found: list[Match], min_severity: int) -> list[dict[str, str | int]]:
    return [m.as_dict() for m in found if m.severity >= min_severity]


def _write(out: TextIO, row: dict[str, object]) -> None:
    out.write(json.dumps(row, ensure_ascii=False) + "\n")
    out.flush()


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
