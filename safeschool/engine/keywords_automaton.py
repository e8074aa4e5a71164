"""Aho–Corasick over words: every pattern of the library found in one pass over a text.

The alphabet is the matcher's own vocabulary: each distinct word of any pattern gets a number
from 1, and a word of the text that is in no pattern gets 0, which sends the automaton straight
back to its root (no pattern can run through it). Patterns are tuples of words, so a match
always starts and ends on word boundaries: ``grape`` can never hold ``rape``.

Built once and never changed afterwards, an automaton can be shared between threads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from .keywords_text import squeezed_key

Hit = tuple[int, int]
"""(index of the last word of the match in the text, index of the pattern)."""


class Automaton:
    """Word-level Aho–Corasick automaton over a fixed list of word patterns."""

    __slots__ = ("fail", "goto", "lengths", "out", "vocab")

    def __init__(self, patterns: Sequence[tuple[str, ...]]) -> None:
        """Build the automaton; pattern ``i`` is reported as ``i`` in :meth:`run`."""
        self.vocab: dict[str, int] = _vocabulary(patterns)
        self.lengths: tuple[int, ...] = tuple(len(p) for p in patterns)
        self.goto: list[dict[int, int]] = [{}]
        self.out: list[tuple[int, ...]] = [()]
        for index, pattern in enumerate(patterns):
            self._insert(index, pattern)
        self.fail: list[int] = [0] * len(self.goto)
        self._link()

    def _insert(self, index: int, pattern: tuple[str, ...]) -> None:
        state = 0
        for word in pattern:
            symbol = self.vocab[word]
            following = self.goto[state].get(symbol)
            if following is None:
                following = len(self.goto)
                self.goto[state][symbol] = following
                self.goto.append({})
                self.out.append(())
            state = following
        self.out[state] += (index,)

    def _link(self) -> None:
        """Set failure links breadth first and merge each state's outputs with its fallback's."""
        queue = deque(self.goto[0].values())
        while queue:
            state = queue.popleft()
            for symbol, following in self.goto[state].items():
                queue.append(following)
                fallback = self.fail[state]
                while fallback and symbol not in self.goto[fallback]:
                    fallback = self.fail[fallback]
                target = self.goto[fallback].get(symbol, 0)
                self.fail[following] = target if target != following else 0
                self.out[following] += self.out[self.fail[following]]

    def symbol(self, forms: tuple[str, ...]) -> int:
        """The number of the first of a word's forms in the vocabulary, else 0."""
        vocab = self.vocab
        for form in forms:
            symbol = vocab.get(form)
            if symbol:
                return symbol
        return 0

    def run(self, symbols: Sequence[int]) -> list[Hit]:
        """Every (end, pattern) occurrence in a text given as word numbers."""
        goto, fail, out = self.goto, self.fail, self.out
        hits: list[Hit] = []
        state = 0
        for position, symbol in enumerate(symbols):
            if not symbol:
                state = 0
                continue
            while state and symbol not in goto[state]:
                state = fail[state]
            state = goto[state].get(symbol, 0)
            if out[state]:
                hits.extend((position, index) for index in out[state])
        return hits


def _vocabulary(patterns: Sequence[tuple[str, ...]]) -> dict[str, int]:
    """Number every word in order of first appearance; add each word's squeezed key.

    A squeezed key shared by two words (``speed`` and ``sped``) goes to the word seen first, so
    patterns listed earlier win.
    """
    vocab: dict[str, int] = {}
    for pattern in patterns:
        for word in pattern:
            vocab.setdefault(word, len(vocab) + 1)
    for word, symbol in list(vocab.items()):
        vocab.setdefault(squeezed_key(word), symbol)
    return vocab
