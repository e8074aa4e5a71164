"""The risk-term library: terms with a category and a severity, read from JSON per language.

The default libraries live in ``safeschool/engine/risk_library/``: ``<language>.json`` holds
the terms and ``allow_<language>.json`` the known innocent phrases. See
``docs/monitoring-terms.md`` for the format and how the terms were chosen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .keywords_text import phrase_words

CATEGORIES: dict[str, str] = {
    "illegal": "Illegal content",
    "bullying": "Bullying",
    "child_sexual_exploitation": "Child sexual exploitation",
    "discrimination": "Discrimination",
    "drugs": "Drugs and substance abuse",
    "extremism": "Extremism",
    "gambling": "Gambling",
    "pornography": "Pornography",
    "self_harm": "Self-harm",
    "suicide": "Suicide",
    "violence": "Violence",
    "eating_disorders": "Eating disorders",
    "weapons": "Weapons",
}
"""Category identifiers and their labels: the UKSIC monitoring categories, then two more."""

SEVERITIES = range(1, 6)
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_KINDS = ("word", "phrase")


class LibraryError(ValueError):
    """A risk library, allow-list or override that cannot be used, with the reason."""


@dataclass(frozen=True, slots=True)
class RiskTerm:
    """One term of a risk library.

    ``term`` is the text as written in the library (``"how to kill myself"``); ``category`` is
    one of :data:`CATEGORIES`; ``severity`` runs from 1 (worth a look) to 5 (imminent risk to
    life, or illegal content).
    """

    term: str
    category: str
    severity: int
    language: str = "en"
    notes: str = ""

    @property
    def kind(self) -> str:
        """``"word"`` or ``"phrase"``, from the number of words in the term."""
        return "word" if len(self.words) == 1 else "phrase"

    @property
    def words(self) -> tuple[str, ...]:
        """The term's words in normal form, as the matcher compares them."""
        return phrase_words(self.term)

    @property
    def key(self) -> tuple[tuple[str, ...], str]:
        """What makes two terms the same: their words and their category."""
        return self.words, self.category


def make_term(
    term: str, category: str, severity: int, language: str = "en", notes: str = ""
) -> RiskTerm:
    """A RiskTerm, checked: raises LibraryError for an empty term, an unknown category or a
    severity outside 1–5."""
    words = phrase_words(term) if isinstance(term, str) else ()
    if not words:
        raise LibraryError(f"term {term!r} holds no words")
    if category not in CATEGORIES:
        raise LibraryError(f"term {term!r}: unknown category {category!r}")
    if isinstance(severity, bool) or not isinstance(severity, int) or severity not in SEVERITIES:
        raise LibraryError(f"term {term!r}: severity must be a whole number from 1 to 5")
    return RiskTerm(term, category, severity, language, notes)


def parse_library(data: Any, language: str = "en") -> list[RiskTerm]:
    """Check and read a library document (``{"terms": [...]}``) into RiskTerms.

    Each entry needs ``text``, ``category`` and ``severity``; ``kind`` ("word" or "phrase"), when
    given, must agree with the text, and ``notes`` is free text. Two entries with the same words
    in the same category are an error.
    """
    entries = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LibraryError('a library is a JSON object with a "terms" list')
    terms, seen = [], set()
    for number, entry in enumerate(entries, 1):
        term = _entry(entry, number, language)
        if term.key in seen:
            raise LibraryError(f"entry {number}: {term.term!r} is listed twice in {term.category}")
        seen.add(term.key)
        terms.append(term)
    return terms


def _entry(entry: Any, number: int, language: str) -> RiskTerm:
    if not isinstance(entry, dict) or not {"text", "category", "severity"} <= entry.keys():
        raise LibraryError(f"entry {number}: needs text, category and severity")
    try:
        term = make_term(
            entry["text"],
            entry["category"],
            entry["severity"],
            language,
            str(entry.get("notes", "")),
        )
    except LibraryError as exc:
        raise LibraryError(f"entry {number}: {exc}") from None
    if entry.get("kind", term.kind) not in _KINDS or entry.get("kind", term.kind) != term.kind:
        raise LibraryError(f"entry {number}: {term.term!r} is a {term.kind}, not {entry['kind']}")
    return term


def parse_allow(data: Any) -> list[str]:
    """Check and read an allow-list document (``{"phrases": [{"text": ...}, ...]}``)."""
    entries = data.get("phrases") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LibraryError('an allow-list is a JSON object with a "phrases" list')
    phrases = []
    for number, entry in enumerate(entries, 1):
        text = entry.get("text") if isinstance(entry, dict) else entry
        if not isinstance(text, str) or not phrase_words(text):
            raise LibraryError(f"allow-list entry {number} holds no words")
        phrases.append(text)
    return phrases


def load_library(language: str = "en", path: str | Path | None = None) -> list[RiskTerm]:
    """The risk terms of the default library for ``language``, or of the JSON file at ``path``.

    Raises LibraryError when the language has no library or the file is malformed.
    """
    return parse_library(_read(language, path, language), language)


def load_allow_phrases(language: str = "en", path: str | Path | None = None) -> list[str]:
    """The known innocent phrases shipped for ``language``, or read from ``path``."""
    return parse_allow(_read(language, path, f"allow_{language}"))


def _read(language: str, path: str | Path | None, stem: str) -> Any:
    if not _LANGUAGE.fullmatch(language):
        raise LibraryError(f"{language!r} is not a language code such as 'en' or 'cy'")
    try:
        if path is None:
            source = resources.files("safeschool.engine.risk_library") / f"{stem}.json"
            text = source.read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return json.loads(text)
    except FileNotFoundError:
        raise LibraryError(f"there is no risk library for language {language!r}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LibraryError(f"cannot read {path or stem + '.json'}: {exc}") from None


Key = str | tuple[str, str]
"""A term in an override: its text (every category), or (text, category)."""


def customise(
    terms: Iterable[RiskTerm],
    *,
    add: Iterable[RiskTerm] = (),
    disable: Iterable[Key] = (),
    severities: Mapping[Key, int] | None = None,
) -> list[RiskTerm]:
    """A school's library: ``terms`` with some disabled, some re-weighted and some added.

    Terms are named by their text (any spelling that normalises to the same words) or by
    ``(text, category)``. An added term replaces a library term with the same words and
    category. Nothing is changed in place.
    """
    off = {_key(k) for k in disable}
    weights = {_key(k): _severity(v) for k, v in (severities or {}).items()}
    added = {t.key: t for t in add}
    out = []
    for term in terms:
        if term.key in added or _lookup(off, term):
            continue
        weight = weights.get(term.key, weights.get((term.words, "")))
        out.append(replace(term, severity=weight) if weight else term)
    return out + list(added.values())


def _key(key: Key) -> tuple[tuple[str, ...], str]:
    text, category = (key, "") if isinstance(key, str) else key
    if category and category not in CATEGORIES:
        raise LibraryError(f"unknown category {category!r}")
    return phrase_words(text), category


def _lookup(keys: set[tuple[tuple[str, ...], str]], term: RiskTerm) -> bool:
    return term.key in keys or (term.words, "") in keys


def _severity(value: int) -> int:
    if isinstance(value, bool) or value not in SEVERITIES:
        raise LibraryError(f"severity {value!r} is not a whole number from 1 to 5")
    return value
