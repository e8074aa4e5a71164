"""Assembles lists into the shared indexes a Policy looks requests up in."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from .domaintable import DomainTable, DomainTableBuilder
from .lists import ListContents, Problems

ILLEGAL = "illegal"


class Matcher(Protocol):
    """Anything with ``re.Pattern.search``'s shape."""

    def search(self, string: str, /) -> object:
        """Return a truthy value when the pattern occurs in ``string``."""


class AnyOf:
    """Several patterns that could not be joined into one (kept separate)."""

    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        self._patterns = patterns

    def search(self, string: str, /) -> object:
        """The first match of any pattern, or None."""
        for pattern in self._patterns:
            found = pattern.search(string)
            if found:
                return found
        return None


def join_patterns(patterns: list[re.Pattern[str]]) -> Matcher | None:
    """One pattern matching wherever any of ``patterns`` matches, or None if there are none."""
    if not patterns:
        return None
    if len(patterns) == 1:
        return patterns[0]
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.IGNORECASE)
    except re.error:
        return AnyOf(patterns)


@dataclass
class LabelStats:
    """How many entries of each kind a label (category or list) holds."""

    domains: int = 0
    urls: int = 0
    expressions: int = 0
    exceptions: int = 0


@dataclass
class Indexes:
    """The built look-up structures shared by every group of a policy."""

    table: DomainTable
    urls: dict[str, tuple[tuple[str, int], ...]]
    expressions: dict[str, Matcher]
    bits: dict[str, int]
    stats: dict[str, LabelStats]
    problems: Problems


@dataclass
class IndexBuilder:
    """Collects entries under named labels; label ``illegal`` is always bit 0."""

    _domains: DomainTableBuilder = field(default_factory=DomainTableBuilder)
    _urls: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _expressions: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)
    _numbers: dict[str, int] = field(default_factory=lambda: {ILLEGAL: 0})
    stats: dict[str, LabelStats] = field(default_factory=lambda: {ILLEGAL: LabelStats()})
    problems: Problems = field(default_factory=Problems)

    def label(self, name: str) -> int:
        """The number of a label, creating it on first use."""
        if name not in self._numbers:
            self._numbers[name] = len(self._numbers)
            self.stats[name] = LabelStats()
        return self._numbers[name]

    def bit(self, name: str) -> int:
        """The bit mask of a label."""
        return 1 << self.label(name)

    def add(self, name: str, contents: ListContents) -> None:
        """Add a list's entries under a label; adblock exceptions go to ``<name>!except``."""
        number = self.label(name)
        stats = self.stats[name]
        stats.domains += self._domains.add(number, contents.domains)
        self.add_urls(name, contents.urls)
        if contents.expressions:
            self._expressions.setdefault(name, []).extend(contents.expressions)
            stats.expressions += len(contents.expressions)
        if contents.exceptions:
            self.add_domains(f"{name}!except", contents.exceptions)
            stats.exceptions += len(contents.exceptions)
        self.problems.extend(contents.problems)

    def add_domains(self, name: str, domains: Iterable[str]) -> None:
        """Add normalised domains under a label."""
        number = self.label(name)
        self.stats[name].domains += self._domains.add(number, domains)

    def add_urls(self, name: str, urls: Iterable[tuple[str, str]]) -> None:
        """Add (host, path prefix) URL entries under a label."""
        bit = self.bit(name)
        count = 0
        for host, prefix in urls:
            self._urls.setdefault(host, []).append((prefix, bit))
            count += 1
        self.stats[name].urls += count

    def build(self) -> Indexes:
        """Freeze everything into Indexes."""
        return Indexes(
            table=self._domains.build(),
            urls={host: tuple(entries) for host, entries in self._urls.items()},
            expressions={
                name: m
                for name, pats in self._expressions.items()
                if (m := join_patterns(pats)) is not None
            },
            bits={name: 1 << n for name, n in self._numbers.items()},
            stats=self.stats,
            problems=self.problems,
        )
