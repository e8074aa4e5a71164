"""A compact, read-only table from domain names to the lists ("labels") that hold them.

Why not a Python ``set`` of strings: at about 100 bytes an entry, a million domains would need
100 MB. Here each domain costs one 64-bit hash and one 16-bit label-set number in two flat
``array`` buffers, in an open-addressing hash table kept at most half full: about 20 bytes a
domain. The price is that two different names with the same 64-bit hash would be confused; with a
million entries the odds of that for one look-up are about one in 18 million million, and the
table is rebuilt with a fresh hash key in every process, so no name is consistently mistaken.

A look-up walks the host and its parent domains (``a.b.example.com``, ``b.example.com``,
``example.com``, ``com``), so an entry covers its domain and every subdomain, and nothing else.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable

_MASK64 = (1 << 64) - 1
_MAX_LABEL_SETS = 65535


def _count_dots(name: str) -> int:
    return name.count(".")


def domain_hash(name: str) -> int:
    """Unsigned 64-bit hash of a normalised name; never 0 (0 marks an empty slot)."""
    return (hash(name) & _MASK64) or 1


class DomainTableBuilder:
    """Collects domains per label, then builds a DomainTable."""

    def __init__(self) -> None:
        self._hashes: list[array[int]] = []
        self._dots: set[int] = set()

    def add(self, label: int, domains: Iterable[str]) -> int:
        """Add already-normalised domains under a label number; return how many were added."""
        while len(self._hashes) <= label:
            self._hashes.append(array("Q"))
        names = domains if isinstance(domains, list) else list(domains)
        before = len(self._hashes[label])
        self._hashes[label].extend(map(domain_hash, names))
        self._dots.update(map(_count_dots, names))
        return len(self._hashes[label]) - before

    def build(self) -> DomainTable:
        """Build the read-only table."""
        total = sum(len(h) for h in self._hashes)
        size = max(8, total * 2 + 1)
        keys = array("Q", [0]) * size
        sets = array("H", [0]) * size
        merger = _LabelSetMerger()
        for label, hashes in enumerate(self._hashes):
            _insert_all(keys, sets, size, hashes, label, merger)
        self._hashes = []
        return DomainTable(keys, sets, size, merger.masks, total, frozenset(self._dots))


class _LabelSetMerger:
    """Numbers the distinct sets of labels a single domain can carry."""

    def __init__(self) -> None:
        self.masks: list[int] = [0]
        self._ids: dict[int, int] = {0: 0}

    def merged(self, set_id: int, label: int) -> int:
        mask = self.masks[set_id] | (1 << label)
        found = self._ids.get(mask)
        if found is None:
            if len(self.masks) >= _MAX_LABEL_SETS:
                raise ValueError("too many distinct combinations of lists")
            found = len(self.masks)
            self.masks.append(mask)
            self._ids[mask] = found
        return found


def _insert_all(
    keys: array[int],
    sets: array[int],
    size: int,
    hashes: array[int],
    label: int,
    merger: _LabelSetMerger,
) -> None:
    """Insert one label's hashes with linear probing (the hot loop of a load)."""
    single = merger.merged(0, label)
    for h in hashes:
        i = h % size
        k = keys[i]
        while k and k != h:
            i += 1
            if i == size:
                i = 0
            k = keys[i]
        if not k:
            keys[i] = h
            sets[i] = single
        else:
            sets[i] = merger.merged(sets[i], label)


class DomainTable:
    """Read-only map from a host (and its parent domains) to a bit mask of labels."""

    __slots__ = ("_dots", "_keys", "_masks", "_most_dots", "_sets", "_size", "count")

    def __init__(
        self,
        keys: array[int],
        sets: array[int],
        size: int,
        masks: list[int],
        count: int,
        dots: frozenset[int] = frozenset(),
    ) -> None:
        self._dots = dots
        """How many dots the entries have: a look-up skips parents of any other length."""
        self._most_dots = max(dots, default=-1)
        self._keys = keys
        self._sets = sets
        self._size = size
        self._masks = masks
        self.count = count
        """Number of entries added (duplicates included)."""

    def mask(self, host: str) -> int:
        """OR of the label bits of the host and of every parent domain in the table."""
        keys = self._keys
        size = self._size
        wanted = self._dots
        found = 0
        name = host
        dots = host.count(".")
        while dots > self._most_dots:
            name = name[name.find(".") + 1 :]
            dots -= 1
        while dots >= 0:
            if dots in wanted:
                h = (hash(name) & _MASK64) or 1
                i = h % size
                k = keys[i]
                while k:
                    if k == h:
                        found |= self._masks[self._sets[i]]
                        break
                    i += 1
                    if i == size:
                        i = 0
                    k = keys[i]
            name = name[name.find(".") + 1 :]
            dots -= 1
        return found

    def exact_mask(self, host: str) -> int:
        """Label bits of exactly this name (no parent domains); used for IP addresses."""
        h = domain_hash(host)
        i = h % self._size
        k = self._keys[i]
        while k:
            if k == h:
                return self._masks[self._sets[i]]
            i = (i + 1) % self._size
            k = self._keys[i]
        return 0

    def memory_bytes(self) -> int:
        """Approximate memory held by the table's buffers."""
        return self._keys.itemsize * len(self._keys) + self._sets.itemsize * len(self._sets)
