"""Benchmark: the monitoring matcher beside a naive regular-expression matcher, same texts.

Run from the repository root:

    python benchmarks/monitor_bench.py                 # 300,000 texts per stream
    python benchmarks/monitor_bench.py --texts 50000   # quicker

The peer is the common approach: one Python ``re`` alternation of every term of the same
default library (longest first) between ``\\b`` word boundaries, run over the lower-cased
text, with no allow-list and no normalisation beyond lower case. Both run in this process,
pinned to one CPU where the system allows it, over the same streams of texts:

- "labelled": the labelled set (``benchmarks/data/monitor_labelled.jsonl``), about half risky,
  repeated to the requested number of texts;
- "innocent": only its innocent texts, repeated (closer to real traffic, which is mostly
  innocent);
- "unseen words": labelled texts with half their words replaced by random letters, so that the
  matcher's per-word cache rarely helps (the worst case for it).

It prints texts per second for both and their ratio, the time to build each, and precision and
recall per category on the labelled set (a text counts for a category when any match has it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import string
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safeschool.engine.keywords import (  # noqa: E402
    CATEGORIES,
    Matcher,
    RiskTerm,
    load_allow_phrases,
    load_library,
)
from safeschool.engine.keywords_text import forms  # noqa: E402

LABELLED = ROOT / "benchmarks" / "data" / "monitor_labelled.jsonl"
Scanner = Callable[[str], set[str]]


def read_labelled(path: Path) -> list[tuple[str, set[str]]]:
    """The labelled set: (text, categories) per line."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [(row["text"], set(row["categories"])) for row in rows]


class Baseline:
    """The naive peer: a ``\\b``-bounded alternation of all terms over lower-cased text."""

    def __init__(self, terms: Iterable[RiskTerm]) -> None:
        self.categories: dict[str, set[str]] = {}
        for term in terms:
            self.categories.setdefault(term.term.lower(), set()).add(term.category)
        words = sorted(self.categories, key=len, reverse=True)
        self.pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")

    def scan(self, text: str) -> set[str]:
        found: set[str] = set()
        for match in self.pattern.finditer(text.lower()):
            found |= self.categories[match.group()]
        return found


def unseen(texts: list[str], seed: int) -> list[str]:
    """Texts with about half their words replaced by random lower-case letters."""
    rng = random.Random(seed)
    out = []
    for text in texts:
        words = [
            "".join(rng.choices(string.ascii_lowercase, k=max(2, len(w))))
            if rng.random() < 0.5
            else w
            for w in text.split()
        ]
        out.append(" ".join(words))
    return out


def rate(scan: Callable[[str], object], texts: list[str], repeat: int) -> float:
    """Best texts per second over ``repeat`` passes."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            scan(text)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def build_time(build: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        build()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def quality(scan: Scanner, labelled: list[tuple[str, set[str]]]) -> dict[str, tuple[int, int, int]]:
    """(true positives, false positives, false negatives) per category and for any alert."""
    counts = {c: [0, 0, 0] for c in [*CATEGORIES, "any"]}
    for text, gold in labelled:
        got = scan(text)
        for category in CATEGORIES:
            _count(counts[category], category in got, category in gold)
        _count(counts["any"], bool(got), bool(gold))
    return {c: (tp, fp, fn) for c, (tp, fp, fn) in counts.items()}


def _count(cell: list[int], got: bool, gold: bool) -> None:
    if got and gold:
        cell[0] += 1
    elif got:
        cell[1] += 1
    elif gold:
        cell[2] += 1


def _ratio(num: int, den: int) -> str:
    return f"{num / den:6.1%}" if den else "   n/a"


def print_quality(
    ours: dict[str, tuple[int, int, int]], peer: dict[str, tuple[int, int, int]]
) -> None:
    print(f"\n{'category':<27} {'texts':>5}   {'SafeSchool':^24}   {'naive re':^24}")
    print(f"{'':<27} {'':>5}   {'precision':>10} {'recall':>8}     {'precision':>10} {'recall':>8}")
    for category in [*CATEGORIES, "any"]:
        tp, fp, fn = ours[category]
        ptp, pfp, pfn = peer[category]
        label = "any alert (risky or not)" if category == "any" else category
        print(
            f"{label:<27} {tp + fn:>5}   {_ratio(tp, tp + fp):>10} {_ratio(tp, tp + fn):>8}"
            f"     {_ratio(ptp, ptp + pfp):>10} {_ratio(ptp, ptp + pfn):>8}"
        )


def pin_one_cpu() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=300_000, help="texts per stream")
    parser.add_argument("--repeat", type=int, default=3, help="passes per stream (best kept)")
    parser.add_argument("--labelled", type=Path, default=LABELLED)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {pin_one_cpu()}")
    labelled = read_labelled(args.labelled)
    terms, allow = load_library("en"), load_allow_phrases("en")
    risky = sum(1 for _, gold in labelled if gold)
    print(
        f"Library: {len(terms)} terms, {len(allow)} allow phrases; labelled set: "
        f"{len(labelled)} texts ({risky} risky, {len(labelled) - risky} innocent)"
    )
    matcher = Matcher.build(terms, allow)
    baseline = Baseline(terms)
    print(
        f"Build: SafeSchool {build_time(lambda: Matcher.build(terms, allow)) * 1000:.1f} ms, "
        f"naive re {build_time(lambda: Baseline(terms)) * 1000:.1f} ms"
    )
    _throughput(matcher, baseline, labelled, args.texts, args.repeat)
    ours = quality(lambda t: {m.category for m in matcher.scan(t)}, labelled)
    print_quality(ours, quality(baseline.scan, labelled))
    return 0


def _throughput(
    matcher: Matcher,
    baseline: Baseline,
    labelled: list[tuple[str, set[str]]],
    count: int,
    repeat: int,
) -> None:
    texts = [t for t, _ in labelled]
    innocent = [t for t, gold in labelled if not gold]
    streams = {
        "labelled": texts,
        "innocent": innocent,
        "unseen words": unseen(texts * (count // len(texts) + 1), seed=7)[:count],
    }
    print(f"\n{'stream':<14} {'SafeSchool texts/s':>19} {'naive re texts/s':>17} {'ratio':>7}")
    for name, base in streams.items():
        stream = (base * (count // len(base) + 1))[:count]
        forms.cache_clear()
        ours = rate(matcher.scan, stream, repeat)
        peer = rate(baseline.scan, stream, repeat)
        print(f"{name:<14} {ours:>19,.0f} {peer:>17,.0f} {ours / peer:>6.2f}×")


if __name__ == "__main__":
    raise SystemExit(main())
