"""Risk terms and the monitoring matcher: find them in search terms, URLs and page titles.

Start with :func:`default_matcher`, or build your own::

    terms = customise(load_library("en"), disable=["vape"], severities={"kms": 5})
    matcher = Matcher.build(terms, load_allow_phrases("en"))
    matcher.scan("how to k1ll myselfff")          # one Match, suicide, severity 5

Matching is by whole words and phrases after normalisation (case, accents, leetspeak, spaced
and stretched letters; see :mod:`.keywords_text`), in one pass over the words of a text for
the whole library (word-level Aho–Corasick, :mod:`.keywords_automaton`). A match that lies
wholly inside an allow-listed phrase ("suicide squad") is dropped. A Matcher never changes
after it is built, so one can serve every thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote, unquote_plus

from .keywords_automaton import Automaton, Hit
from .keywords_library import (
    CATEGORIES,
    SEVERITIES,
    LibraryError,
    RiskTerm,
    customise,
    load_allow_phrases,
    load_library,
    make_term,
    parse_allow,
    parse_library,
)
from .keywords_text import Word, forms, phrase_words, quick_words, words
from .normalise import split_parts, to_unicode
from .searchterms import extract_search_terms

__all__ = [
    "CATEGORIES",
    "LibraryError",
    "Match",
    "Matcher",
    "RiskTerm",
    "customise",
    "default_matcher",
    "load_allow_phrases",
    "load_library",
    "make_term",
    "parse_allow",
    "parse_library",
]

_ALLOW = -1
_WHITESPACE = re.compile(r"\s")
_MIN_JOINED = 5


@dataclass(frozen=True, slots=True)
class Match:
    """One risk term found in a text.

    ``start`` and ``end`` are character offsets in the text scanned (for :meth:`Matcher.scan_url`,
    in the search text when ``source`` is ``"search"``, else in the decoded host and path), and
    ``matched`` is that slice as written (``"k1lll myself"``).
    """

    term: str
    category: str
    severity: int
    start: int
    end: int
    matched: str
    language: str = "en"
    source: str = "text"

    def as_dict(self) -> dict[str, str | int]:
        """The fields shown for a match on the command line."""
        return {
            "term": self.term,
            "category": self.category,
            "severity": self.severity,
            "matched": self.matched,
        }


@dataclass(frozen=True, slots=True)
class _Found:
    """A risk term found at words ``first``..``last`` of a text (before pruning)."""

    first: int
    last: int
    term: RiskTerm = field(compare=False)


@dataclass(frozen=True, slots=True, eq=False)
class Matcher:
    """Finds the terms of a risk library in texts; build with :meth:`build`."""

    terms: tuple[RiskTerm, ...]
    allow_phrases: tuple[str, ...]
    _automaton: Automaton = field(repr=False)
    _targets: tuple[tuple[int, ...], ...] = field(repr=False)

    @classmethod
    def build(cls, terms: Iterable[RiskTerm], allow_phrases: Iterable[str] = ()) -> Matcher:
        """Compile terms and allow-listed phrases into a Matcher.

        Each phrase is also matched written as one word (``selfharm``, ``#killmyself``).
        Raises LibraryError for a term with no words, an unknown category or a bad severity.
        """
        terms, allow = tuple(terms), tuple(allow_phrases)
        targets: dict[tuple[str, ...], list[int]] = {}
        for index, term in enumerate(terms):
            for pattern in _patterns(_checked(term)):
                targets.setdefault(pattern, []).append(index)
        for phrase in allow:
            for pattern in _patterns(phrase_words(phrase)):
                targets.setdefault(pattern, []).append(_ALLOW)
        automaton = Automaton(list(targets))
        return cls(terms, allow, automaton, tuple(tuple(t) for t in targets.values()))

    def scan(self, text: str) -> list[Match]:
        """Every risk term in ``text``, in order of position, most severe first at a tie.

        A term found inside a longer match that is at least as severe is left out (``kill
        myself`` inside ``how to kill myself``, ``porn`` inside ``child porn``).
        """
        hits = self._quick(text)
        if hits is not None and not hits:
            return []
        # The same words as the fast path's, now with positions.
        text_words = words(text, join=hits is None)
        if hits is None:
            symbol = self._automaton.symbol
            hits = self._automaton.run([symbol(forms(w.raw)) for w in text_words])
        return self._matches(text, text_words, hits)

    def _quick(self, text: str) -> list[Hit] | None:
        """The hits by the fast path (no positions), or None when it cannot tell."""
        forms = quick_words(text)
        if forms is None:
            return None
        symbol = self._automaton.symbol
        return self._automaton.run([symbol(f) for f in forms])

    def _matches(self, text: str, text_words: Sequence[Word], hits: list[Hit]) -> list[Match]:
        lengths, targets = self._automaton.lengths, self._targets
        allowed, found = [], []
        for last, pattern in hits:
            first = last - lengths[pattern] + 1
            for index in targets[pattern]:
                if index == _ALLOW:
                    allowed.append((first, last))
                else:
                    found.append(_Found(first, last, self.terms[index]))
        kept = [f for f in found if not any(a <= f.first and f.last <= b for a, b in allowed)]
        return [_match(text, text_words, f) for f in _prune(kept)]

    def scan_url(self, url: str) -> list[Match]:
        """Risk terms in a URL: in its search text (search engines and sites) and in the words
        of its host and path, each term once (the search text's match is kept)."""
        # Whitespace is percent-encoded first: raw whitespace inside the host sends
        # normalise.split_parts into endless recursion (reported; not this module's to fix).
        url = _WHITESPACE.sub(lambda m: quote(m.group(), safe=""), url.strip())
        search = extract_search_terms(url)
        host, rest, _ = split_parts(url)
        if search:
            rest = rest.partition("?")[0].partition("#")[0]
        plain = unquote_plus(to_unicode(host) + rest, errors="replace")
        found = [replace(m, source="search") for m in self.scan(search)] if search else []
        seen = {(m.term, m.category) for m in found}
        found += [
            replace(m, source="url") for m in self.scan(plain) if (m.term, m.category) not in seen
        ]
        return found


def _checked(term: RiskTerm) -> tuple[str, ...]:
    """The words of a term given to :meth:`Matcher.build`, after checking it."""
    if not isinstance(term, RiskTerm):
        raise LibraryError(f"{term!r} is not a RiskTerm")
    words = term.words
    if not words or term.category not in CATEGORIES or term.severity not in SEVERITIES:
        make_term(term.term, term.category, term.severity)  # raises with the reason
    return words


def _patterns(words: tuple[str, ...]) -> list[tuple[str, ...]]:
    """A term's word pattern, and for a phrase its words run together as one word."""
    joined = "".join(words)
    if len(words) > 1 and len(joined) >= _MIN_JOINED:
        return [words, (joined,)]
    return [words]


def _prune(found: list[_Found]) -> list[_Found]:
    """Drop repeats, and terms inside a longer match that is at least as severe.

    The longer phrase was put in the library to say what the whole means: ``child porn`` is
    illegal content, and the ``porn`` inside it adds nothing for the safeguarding team.
    """
    best: dict[tuple[int, int, str], _Found] = {}
    for f in found:
        key = (f.first, f.last, f.term.category)
        if key not in best or f.term.severity > best[key].term.severity:
            best[key] = f
    kept = [f for f in best.values() if not any(_inside(f, g) for g in best.values())]
    return sorted(kept, key=lambda f: (f.first, -f.term.severity, f.last))


def _inside(f: _Found, g: _Found) -> bool:
    """True when ``g`` covers more words than ``f``, all of f's among them, and is as severe."""
    return (
        g.term.severity >= f.term.severity
        and g.first <= f.first
        and f.last <= g.last
        and (g.first, g.last) != (f.first, f.last)
    )


def _match(text: str, text_words: Sequence[Word], f: _Found) -> Match:
    start, end = text_words[f.first].start, text_words[f.last].end
    return Match(
        f.term.term, f.term.category, f.term.severity, start, end, text[start:end], f.term.language
    )


@lru_cache(maxsize=8)
def default_matcher(language: str = "en") -> Matcher:
    """The Matcher for the default library and allow-list of ``language`` (built once)."""
    return Matcher.build(load_library(language), load_allow_phrases(language))
