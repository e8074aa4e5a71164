"""The risk-term matcher for a school: the default library with the school's own changes.

Building a matcher takes a moment, so each process keeps one per school and rebuilds it only
when the school's term changes have moved on.
"""

from __future__ import annotations

import threading
from typing import Any

from safeschool.engine.keywords import (
    Matcher,
    RiskTerm,
    customise,
    load_allow_phrases,
    load_library,
    make_term,
)
from safeschool.monitoring.models import TermChange
from safeschool.schools.models import School

_lock = threading.Lock()
_cache: dict[Any, tuple[Any, Matcher]] = {}
_default: list[RiskTerm] | None = None


def default_terms() -> list[RiskTerm]:
    global _default
    if _default is None:
        _default = load_library("en")
    return _default


def effective_terms(school: School) -> list[RiskTerm]:
    """The library as this school has tuned it: the latest change for each term wins."""
    latest: dict[str, TermChange] = {}
    for change in TermChange.objects.filter(school=school).order_by("changed_at"):
        latest[change.term] = change
    add: list[RiskTerm] = []
    disable: list[str] = []
    severities: dict[str | tuple[str, str], int] = {}
    for text, change in latest.items():
        if change.change == TermChange.Change.DISABLE:
            disable.append(text)
        elif change.change == TermChange.Change.ADD:
            add.append(make_term(text, change.category, change.severity or 1))
        elif change.change == TermChange.Change.REWEIGHT and change.severity:
            severities[text] = change.severity
    return customise(default_terms(), add=add, disable=disable, severities=severities)


def matcher_for(school: School) -> Matcher:
    version = (
        TermChange.objects.filter(school=school)
        .order_by("-changed_at")
        .values_list("pk", flat=True)
        .first()
    )
    with _lock:
        cached = _cache.get(school.pk)
        if cached is not None and cached[0] == version:
            return cached[1]
    matcher = Matcher.build(effective_terms(school), load_allow_phrases("en"))
    with _lock:
        _cache[school.pk] = (version, matcher)
    return matcher
