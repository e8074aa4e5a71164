"""Time spaces: weekly hours and calendar dates during which a rule is in force.

Times are minutes of the local day; a range ``12:00-13:00`` includes 12:00 and excludes 13:00,
as squidGuard does. A rule with no time ranges covers the whole day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

DAY_LETTERS = {"m": 0, "t": 1, "w": 2, "h": 3, "f": 4, "a": 5, "s": 6}
DAY_NAMES = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
ALL_DAYS = frozenset(range(7))
_TIME_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DATE = r"(\*|\d{4})[.-](\*|\d{1,2})[.-](\*|\d{1,2})"
_DATE_SPEC = re.compile(rf"{_DATE}(?:-{_DATE})?")

DatePattern = tuple[int | None, int | None, int | None]


@dataclass(frozen=True)
class TimeRule:
    """One line of a time space: weekdays or dates, optionally limited to time ranges."""

    days: frozenset[int] = ALL_DAYS
    dates: tuple[DatePattern, DatePattern] | None = None
    """Inclusive first and last date; ``None`` parts are wildcards (any year, month, day)."""
    ranges: tuple[tuple[int, int], ...] = ()

    def active(self, when: datetime) -> bool:
        """True when ``when`` (local time) falls inside this rule."""
        if self.dates is None:
            if when.weekday() not in self.days:
                return False
        elif not _date_in(when.date(), self.dates):
            return False
        if not self.ranges:
            return True
        minute = when.hour * 60 + when.minute
        return any(start <= minute < end for start, end in self.ranges)


@dataclass(frozen=True)
class TimeSpec:
    """A named time space: active when any of its rules is."""

    name: str
    rules: tuple[TimeRule, ...] = field(default_factory=tuple)

    def active(self, when: datetime) -> bool:
        """True when ``when`` (local time) falls inside the time space."""
        return any(rule.active(when) for rule in self.rules)


def _date_in(day: date, dates: tuple[DatePattern, DatePattern]) -> bool:
    first, last = dates
    actual = (day.year, day.month, day.day)
    if first == last:
        return all(p is None or p == v for p, v in zip(first, actual, strict=True))
    low = tuple(v if p is None else p for p, v in zip(first, actual, strict=True))
    high = tuple(v if p is None else p for p, v in zip(last, actual, strict=True))
    return low <= actual <= high


def parse_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """Parse ``HH:MM-HH:MM`` ranges (spaces around the dash allowed); ValueError if bad."""
    ranges = tuple(_range(m) for m in _TIME_RANGE.finditer(text))
    rest = _TIME_RANGE.sub("", text).strip()
    if rest:
        raise ValueError(f"cannot read time range {rest!r}")
    return ranges


def _range(match: re.Match[str]) -> tuple[int, int]:
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not (0 <= start <= 1440 and 0 <= end <= 1440 and m1 < 60 and m2 < 60 and start < end):
        raise ValueError(f"impossible time range {match.group()!r}")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """Parse weekdays: ``*``, letters ``smtwhfa`` (``mtwhf``), or names (``fridays``, ``mon``)."""
    word = text.lower()
    if word in ("*", "all", "everyday"):
        return ALL_DAYS
    if word.rstrip("s")[:3] in DAY_NAMES and len(word) > 2:
        return frozenset({DAY_NAMES[word[:3]]})
    if word == "weekdays":
        return frozenset(range(5))
    if word and all(c in DAY_LETTERS for c in word):
        return frozenset(DAY_LETTERS[c] for c in word)
    raise ValueError(f"cannot read days {text!r}")


def parse_date_spec(text: str) -> tuple[DatePattern, DatePattern]:
    """Parse ``2024.12.25``, ``*.12.25``, ``*-*-01`` or a range ``2024.04.01-2024.04.05``."""
    match = _DATE_SPEC.fullmatch(text)
    if not match:
        raise ValueError(f"cannot read date {text!r}")
    parts = [None if g in (None, "*") else int(g) for g in match.groups()]
    first: DatePattern = (parts[0], parts[1], parts[2])
    last: DatePattern = (parts[3], parts[4], parts[5]) if match.group(4) else first
    return first, last


def parse_squidguard_rule(line: str) -> TimeRule:
    """Parse one ``weekly ...`` or ``date ...`` line of a squidGuard ``time`` block."""
    keyword, _, rest = line.strip().partition(" ")
    head, _, times = rest.strip().partition(" ")
    if keyword == "weekly":
        return TimeRule(days=parse_days(head), ranges=parse_ranges(times))
    if keyword == "date":
        return TimeRule(dates=parse_date_spec(head), ranges=parse_ranges(times))
    raise ValueError(f"unknown time rule {keyword!r} (expected weekly or date)")
