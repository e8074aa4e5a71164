"""A cache of upstream DNS replies that honours their TTLs.

Replies are kept as bytes with the offsets of their TTL fields; a hit is a copy with the new
ID, the client's own spelling of the question, and every TTL lowered by the time it has spent
in the cache.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable

from .dnswire import HEADER, NOERROR, NXDOMAIN, TC, WireError, ttl_positions

_TTL = struct.Struct("!I")
_ID = struct.Struct("!H")


class _Entry:
    __slots__ = ("expires", "positions", "reply", "stored", "ttls")

    def __init__(
        self, reply: bytes, positions: list[int], ttls: list[int], stored: float, expires: float
    ) -> None:
        self.reply = reply
        self.positions = positions
        self.ttls = ttls
        self.stored = stored
        self.expires = expires


class ReplyCache:
    """Upstream replies keyed by lower-cased question; bounded, oldest entry evicted first."""

    def __init__(
        self,
        max_entries: int = 100_000,
        max_ttl: int = 86_400,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_ttl = max_ttl
        self.clock = clock
        self._entries: dict[bytes, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def store(self, key: bytes, reply: bytes) -> bool:
        """Keep a reply if it may be cached (NOERROR or NXDOMAIN, not truncated, TTL > 0)."""
        flags = HEADER.unpack_from(reply)[1]
        if flags & TC or flags & 0xF not in (NOERROR, NXDOMAIN):
            return False
        try:
            positions, smallest = ttl_positions(reply)
        except (WireError, struct.error):
            return False
        if not smallest or smallest <= 0:
            return False
        ttls = [_TTL.unpack_from(reply, p)[0] for p in positions]
        now = self.clock()
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = _Entry(reply, positions, ttls, now, now + min(smallest, self.max_ttl))
        return True

    def get(self, key: bytes, ident: int, question: bytes) -> bytes | None:
        """A fresh copy of the cached reply for this query, or None when absent or expired."""
        found = self.lookup(key, ident, question)
        return None if found is None else found[0]

    def lookup(self, key: bytes, ident: int, question: bytes) -> tuple[bytes, float] | None:
        """As `get`, with the clock time until which that copy stays exactly right.

        That is the moment its TTLs would next be lowered by a second, or the entry's expiry
        if sooner: until then, `get` would return the same bytes.
        """
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if now >= entry.expires:
            del self._entries[key]
            return None
        out = bytearray(entry.reply)
        _ID.pack_into(out, 0, ident)
        out[12 : 12 + len(question)] = question
        elapsed = int(now - entry.stored)
        if elapsed:
            for position, ttl in zip(entry.positions, entry.ttls, strict=True):
                _TTL.pack_into(out, position, max(ttl - elapsed, 0))
        return bytes(out), min(entry.stored + elapsed + 1, entry.expires)
