"""Words and their normal forms for the monitoring matcher.

A text is cut into words (runs of letters and digits, plus the symbols people use as letters:
``@ $ | € !``); apostrophes inside a word are dropped, so ``I'm`` and ``im`` meet. Each word
then has a short list of *forms* to look up, most literal first:

1. the literal form: accents removed (``suïcide`` → ``suicide``), case folded, look-alike
   Cyrillic and Greek letters replaced by Latin ones;
2. when the word mixes letters with digits or symbols, its leetspeak readings
   (``5u1c1d3`` → ``suicide``; ``1``, ``!`` and ``|`` are read as ``i``, then as ``l``);
3. when a form has a letter three or more times in a row (``killlll``), its *squeezed* key, every
   run of a repeated character collapsed to one and marked with :data:`SQUEEZED`, which the
   matcher looks up among the squeezed keys of its own words (``killlll`` → ``kill``).

Three or more one-character words separated by the same single character
(``k i l l``, ``s.u.i.c.i.d.e``) are joined into one word; a wider or different gap ends the
run, so ``k i l l  m y s e l f`` reads as two words and never as letters across a boundary.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

SQUEEZED = "\x00"
"""Prefix of a squeezed key, so that keys never collide with real words."""

_TOKEN = re.compile(r"(?:[^\W_]|[@$|€!'’ʼ])+")
_EDGE = "!'’ʼ"
_DROP = str.maketrans("", "", "'’ʼ")
_CONFUSABLES = str.maketrans(
    {
        "а": "a",
        "в": "b",
        "е": "e",
        "ё": "e",
        "і": "i",
        "ї": "i",
        "ј": "j",
        "к": "k",
        "м": "m",
        "н": "h",
        "о": "o",
        "р": "p",
        "с": "c",
        "т": "t",
        "у": "y",
        "х": "x",
        "ѕ": "s",
        "ԁ": "d",
        "α": "a",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "ν": "v",
        "ο": "o",
        "ρ": "p",
        "τ": "t",
        "υ": "u",
        "χ": "x",
    }
)
_LEET = str.maketrans(
    {"0": "o", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "€": "e"}
)
_AS_I = str.maketrans({"1": "i", "!": "i", "|": "i"})
_AS_L = str.maketrans({"1": "l", "!": "l", "|": "l"})
_LEETISH = frozenset("013457@$€!|")
_AMBIGUOUS = frozenset("1!|")
_STRETCHED = re.compile(r"(.)\1\1")
_RUN = re.compile(r"(.)\1+")
_MIN_SPACED_RUN = 3


class Word(NamedTuple):
    """One word of a text: its raw characters and where they sit in the text."""

    raw: str
    start: int
    end: int


def literal(raw: str) -> str:
    """The literal form of a raw word: no accents or apostrophes, case folded ("" if none)."""
    word = raw.strip(_EDGE)
    if not (word.isascii() and word.isalnum()):
        word = unicodedata.normalize("NFKD", word)
        word = "".join(c for c in word if not unicodedata.combining(c))
        word = word.casefold().translate(_CONFUSABLES).translate(_DROP)
        word = unicodedata.normalize("NFC", word)
    else:
        word = word.lower()
    return word if any(c.isalnum() for c in word) else ""


@lru_cache(maxsize=131072)
def forms(raw: str) -> tuple[str, ...]:
    """The forms of a raw word to look up, most literal first; () when it holds no word."""
    first = literal(raw)
    if not first:
        return ()
    found = [first]
    if _LEETISH.intersection(first) and any(c.isalpha() for c in first):
        base = first.translate(_LEET)
        found.append(base.translate(_AS_I))
        if _AMBIGUOUS.intersection(first):
            found.append(base.translate(_AS_L))
    found += [squeezed_key(f) for f in found if _STRETCHED.search(f)]
    return tuple(dict.fromkeys(found))


def squeezed_key(form: str) -> str:
    """The squeezed key of a form: runs of one character collapsed (``kill`` → ``kil``)."""
    return SQUEEZED + _RUN.sub(r"\1", form)


def quick_words(text: str) -> list[tuple[str, ...]] | None:
    """The forms of each word of ``text``, or None when it has spaced-out letters to join.

    The fast path of :func:`words`: no positions are kept.
    """
    out = []
    singles = 0
    for raw in _TOKEN.findall(text):
        found = forms(raw)
        if not found:
            continue
        singles = singles + 1 if len(found[0]) == 1 else 0
        if singles == _MIN_SPACED_RUN:
            return None
        out.append(found)
    return out


def words(text: str, join: bool = True) -> list[Word]:
    """The words of ``text`` with their positions, spaced-out letters joined into one word
    (``join=False`` skips that when :func:`quick_words` has found no spaced-out letters)."""
    found = []
    for match in _TOKEN.finditer(text):
        raw = match.group()
        word = raw.strip(_EDGE)
        if not forms(word):
            continue
        start = match.start() + len(raw) - len(raw.lstrip(_EDGE))
        found.append(Word(word, start, start + len(word)))
    return _join_spaced(found, text) if join else found


def _join_spaced(found: list[Word], text: str) -> list[Word]:
    """Join runs of three or more one-character words spaced by one and the same character."""
    out = []
    i = 0
    while i < len(found):
        end = _run_end(found, text, i)
        if end - i >= _MIN_SPACED_RUN:
            run = found[i:end]
            out.append(Word("".join(w.raw for w in run), run[0].start, run[-1].end))
            i = end
        else:
            out.append(found[i])
            i += 1
    return out


def _run_end(found: list[Word], text: str, i: int) -> int:
    """Index just past the run of evenly spaced one-character words starting at ``i``."""
    if len(forms(found[i].raw)[0]) != 1:
        return i + 1
    gap = None
    j = i + 1
    while j < len(found) and len(forms(found[j].raw)[0]) == 1:
        between = text[found[j - 1].end : found[j].start]
        if len(between) != 1 or (gap is not None and between != gap):
            break
        gap = between
        j += 1
    return j


def phrase_words(text: str) -> tuple[str, ...]:
    """The literal words of a library term or allow phrase (``Self-harm`` → self, harm)."""
    return tuple(forms(w.raw)[0] for w in words(text))
