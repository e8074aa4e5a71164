"""Readers for blocklists: squidGuard trees, hosts files, plain domain lists and adblock rules.

Comments (``#``, and ``!`` in adblock lists) and blank lines are skipped. Every malformed line is
recorded as a Problem with its file and line number and the rest of the file still loads; only a
file that cannot be read at all raises ListError.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ListError
from .normalise import normalise_entry, normalise_host

MAX_PROBLEMS_PER_FILE = 10_000
"""Problems kept in detail per file; further ones are counted but not stored."""

_CHAR = "a-z0-9_\u00a1-\ufffc"
_LABEL = rf"[{_CHAR}](?:[{_CHAR}-]{{0,61}}[{_CHAR}])?"
_DOMAIN = rf"\.?(?:{_LABEL}\.)*{_LABEL}\.?"
_VALID_DOMAIN = re.compile(_DOMAIN)
# A line that is neither blank, a comment nor a domain (checked over a whole file at once).
_BAD_DOMAIN_LINE = re.compile(
    rf"^(?![ \t]*(?:#|\r?$))(?![ \t]*{_DOMAIN}[ \t]*(?:#.*)?\r?$).*$", re.M
)
_HOSTS_IGNORED = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "local",
        "broadcasthost",
        "ip6-localhost",
        "ip6-loopback",
        "ip6-localnet",
        "ip6-mcastprefix",
        "ip6-allnodes",
        "ip6-allrouters",
        "ip6-allhosts",
        "0.0.0.0",  # noqa: S104 - a hosts-file name, not a socket address
    }
)
_ADBLOCK_RULE = re.compile(r"(@@)?\|\|([^\^/|$*]+)\^(\|)?(?:\$(important|document|all))?")
_POSIX_CLASSES = {
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:alnum:]": "a-zA-Z0-9",
    "[:space:]": r"\s",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:punct:]": r"!-/:-@\[-`{-~",
    "[:xdigit:]": "0-9a-fA-F",
}


@dataclass(frozen=True)
class Problem:
    """One malformed line (or unreadable file) found while loading."""

    path: str
    line: int
    message: str
    text: str = ""

    def __str__(self) -> str:
        shown = f": {self.text!r}" if self.text else ""
        return f"{self.path}:{self.line}: {self.message}{shown}"


@dataclass
class Problems:
    """Problems found in one load, with a total that counts those not kept in detail."""

    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, problem: Problem) -> None:
        """Record a problem (kept in detail up to a per-load limit)."""
        self.total += 1
        if len(self.items) < MAX_PROBLEMS_PER_FILE * 10:
            self.items.append(problem)

    def extend(self, other: Problems) -> None:
        """Take over another collection's problems."""
        self.items.extend(other.items)
        self.total += other.total


@dataclass
class ListContents:
    """Entries read from one or more list files."""

    domains: list[str] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)
    expressions: list[re.Pattern[str]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    """Domains an adblock ``@@||domain^`` rule exempts."""
    problems: Problems = field(default_factory=Problems)

    def extend(self, other: ListContents) -> None:
        """Append another list's entries and problems."""
        self.domains.extend(other.domains)
        self.urls.extend(other.urls)
        self.expressions.extend(other.expressions)
        self.exceptions.extend(other.exceptions)
        self.problems.extend(other.problems)

    @property
    def entry_count(self) -> int:
        """Number of usable entries of every kind."""
        return len(self.domains) + len(self.urls) + len(self.expressions) + len(self.exceptions)


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a list file as UTF-8 (undecodable bytes become U+FFFD); ListError if unreadable."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ListError(f"{path}: cannot read list file: {exc.strerror or exc}") from exc
    return data.decode("utf-8", errors="replace")


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    """Line numbers (from 1) of ascending character positions, counted incrementally."""
    out, line, last = [], 1, 0
    for pos in positions:
        line += text.count("\n", last, pos)
        last = pos
        out.append(line)
    return out


def parse_domains(text: str, path: str) -> ListContents:
    """Parse a plain domain list (one domain a line; squidGuard ``domains`` files)."""
    result = ListContents()
    text = text.lower()
    bad = list(_BAD_DOMAIN_LINE.finditer(text))
    numbers = _line_numbers(text, [m.start() for m in bad])
    for match, number in zip(bad, numbers, strict=True):
        result.problems.add(Problem(path, number, "not a domain name", match.group().strip()))
    if bad or "#" in text or "\r" in text or not text.isascii():
        result.domains = _domains_slowly(text, set(numbers))
    elif text.startswith(".") or "\n." in text or ".\n" in text or text.rstrip().endswith("."):
        result.domains = [d.strip(".") for d in text.split()]
    else:
        # Clean files, the common case for a million-line list: split in C.
        result.domains = text.split()
    return result


def _domains_slowly(text: str, bad_numbers: set[int]) -> list[str]:
    """Domains of a file with comments, bad lines or non-ASCII names, line by line."""
    out = []
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.partition("#")[0].strip()
        if line and number not in bad_numbers:
            out.append(normalise_entry(line))
    return out


def parse_urls(text: str, path: str) -> ListContents:
    """Parse a squidGuard ``urls`` file: ``host/path`` prefixes, scheme and ``www.`` optional."""
    result = ListContents()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.partition("#")[0].strip()
        if not line:
            continue
        entry = url_entry(line)
        if entry is None:
            result.problems.add(Problem(path, number, "not a URL (host/path)", raw.strip()))
        else:
            result.urls.append(entry)
    return result


def url_entry(text: str) -> tuple[str, str] | None:
    """Split a URL list entry into (normalised host, lower-case path prefix), or None."""
    body = text.lower()
    if "://" in body:
        body = body.partition("://")[2]
    authority, slash, path = body.partition("/")
    host = normalise_host(authority)
    if " " in body or not _VALID_DOMAIN.fullmatch(host):
        return None
    return host, (slash + path)


def parse_expressions(text: str, path: str) -> ListContents:
    """Parse a squidGuard ``expressions`` file: one extended regular expression a line."""
    result = ListContents()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            result.expressions.append(compile_expression(line))
        except re.error as exc:
            result.problems.add(Problem(path, number, f"bad regular expression ({exc})", line))
    return result


def compile_expression(pattern: str) -> re.Pattern[str]:
    """Compile a POSIX-style extended regular expression, case-insensitively."""
    for posix, python in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, python)
    return re.compile(pattern, re.IGNORECASE)


def parse_hosts(text: str, path: str) -> ListContents:
    """Parse a hosts file (``0.0.0.0 ads.example  # comment``): every name after the address."""
    result = ListContents()
    for number, raw in enumerate(text.splitlines(), 1):
        fields = raw.partition("#")[0].split()
        if not fields:
            continue
        names = [normalise_entry(n) for n in fields[1:] if n.lower() not in _HOSTS_IGNORED]
        if (
            len(fields) < 2
            or not _looks_like_address(fields[0])
            or not all(_VALID_DOMAIN.fullmatch(n) for n in names)
        ):
            result.problems.add(Problem(path, number, "not a hosts-file line", raw.strip()))
            continue
        result.domains.extend(names)
    return result


def _looks_like_address(text: str) -> bool:
    return ":" in text or bool(re.fullmatch(r"[0-9.]+", text))


def parse_adblock(text: str, path: str) -> ListContents:
    """Parse adblock-style domain rules: ``||domain^`` blocks, ``@@||domain^`` exempts.

    Rules that need a browser (cosmetic ``##`` rules, path patterns, most ``$`` options) cannot
    be applied by a DNS or proxy filter and are reported as unsupported.
    """
    result = ListContents()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or _is_adblock_comment(line):
            continue
        match = _ADBLOCK_RULE.fullmatch(line)
        domain = normalise_entry(match.group(2)) if match else ""
        if not match or not _VALID_DOMAIN.fullmatch(domain):
            result.problems.add(Problem(path, number, "unsupported adblock rule", line))
        elif match.group(1):
            result.exceptions.append(domain)
        else:
            result.domains.append(domain)
    return result


def _is_adblock_comment(line: str) -> bool:
    """``!`` and ``[Adblock]`` lines, and ``#`` comments (but not ``##`` hiding rules)."""
    return line.startswith(("!", "[")) or (line[0] == "#" and line[1:2] not in ("#", "@"))


def read_list(path: str | os.PathLike[str], kind: str) -> ListContents:
    """Read one list file of the given kind: domains, urls, expressions, hosts or adblock."""
    parsers = {
        "domains": parse_domains,
        "urls": parse_urls,
        "expressions": parse_expressions,
        "hosts": parse_hosts,
        "adblock": parse_adblock,
    }
    if kind not in parsers:
        raise ListError(f"{path}: unknown list type {kind!r}")
    return parsers[kind](read_text(path), str(path))


def read_category_dir(directory: str | os.PathLike[str]) -> ListContents:
    """Read a squidGuard/UT1 category folder: its ``domains``, ``urls`` and ``expressions``."""
    result = ListContents()
    base = Path(directory)
    if not base.is_dir():
        raise ListError(f"{directory}: not a folder")
    for kind in ("domains", "urls", "expressions"):
        if (base / kind).is_file():
            result.extend(read_list(base / kind, kind))
    return result


_CATEGORY_FILES = ("domains", "urls", "expressions")


def read_squidguard_tree(root: str | os.PathLike[str]) -> dict[str, ListContents]:
    """Read every category folder under a squidGuard/UT1 tree, keyed by category name."""
    base = Path(root)
    if not base.is_dir():
        raise ListError(f"{root}: not a folder")
    found: dict[str, ListContents] = {}
    for entry in sorted(base.iterdir()):
        if entry.is_dir() and any((entry / k).is_file() for k in _CATEGORY_FILES):
            found[entry.name] = read_category_dir(entry)
    return found
