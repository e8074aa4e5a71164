"""Random and mutated DNS packets, for the fuzz test and the benchmark's full run."""

from __future__ import annotations

import random
from collections.abc import Iterator

import dns.message

SEEDS = [
    dns.message.make_query(name, rdtype, use_edns=edns).to_wire()
    for name, rdtype, edns in [
        ("adult.test", "A", False),
        ("www.google.com", "AAAA", True),
        ("fine.example.test", "MX", True),
        ("a.b.c.d.e.f.example", "TXT", False),
    ]
]


def packets(count: int, seed: int = 5) -> Iterator[bytes]:
    """Half entirely random, half mutations (flipped bytes, cuts, splices) of real queries."""
    rng = random.Random(seed)
    for index in range(count):
        if index % 2:
            yield rng.randbytes(rng.randrange(0, 64))
            continue
        data = bytearray(rng.choice(SEEDS))
        for _ in range(rng.randrange(1, 6)):
            action = rng.randrange(4)
            position = rng.randrange(len(data)) if data else 0
            if action == 0 and data:
                data[position] = rng.randrange(256)
            elif action == 1:
                del data[position:]
            elif action == 2:
                data[position:position] = rng.randbytes(rng.randrange(1, 8))
            elif data:
                data[position] = 0xC0 | rng.randrange(64)
        yield bytes(data)
