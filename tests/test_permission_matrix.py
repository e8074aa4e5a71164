"""Every URL × every demo persona → the status each must get. A URL added to the project
without a row here fails `test_every_url_is_in_the_matrix`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from safeschool.schools.models import KeyPerson, School
from tests.conftest import PERSONAS

ANON = "anonymous"
OAKFIELD_STAFF = ["dsl", "deputy", "head", "teacher", "technician", "governor", "chair"]


def statuses(ok: list[str], *, default: int = 403, other_school: int = 404) -> dict[str, int]:
    """Oakfield personas in `ok` get 200, other Oakfield personas `default`, Riverside 404,
    and anonymous visitors the log-in redirect."""
    table = {p: (200 if p in ok else default) for p in OAKFIELD_STAFF}
    table["riverside-dsl"] = other_school
    table[ANON] = 302
    return table


def _pupil(oak: School) -> dict[str, Any]:
    return {"slug": "oakfield", "pupil_id": oak.pupils.first().pk}  # type: ignore[union-attr]


def _appointment(oak: School) -> dict[str, Any]:
    return {"slug": "oakfield", "appointment_id": KeyPerson.objects.filter(school=oak)[0].pk}


SLUG: Callable[[School], dict[str, Any]] = lambda oak: {"slug": "oakfield"}  # noqa: E731
NONE: Callable[[School], dict[str, Any]] = lambda oak: {}  # noqa: E731
PEOPLE_READERS = ["dsl", "deputy", "head", "teacher"]

MATRIX: dict[str, tuple[Callable[[School], dict[str, Any]], dict[str, int]]] = {
    "healthz": (NONE, {**{p: 200 for p in PERSONAS}, ANON: 200}),
    "accounts:login": (NONE, {**{p: 200 for p in PERSONAS}, ANON: 200}),
    "accounts:logout": (NONE, {**{p: 405 for p in PERSONAS}, ANON: 302}),
    "accounts:password_change": (NONE, {**{p: 200 for p in PERSONAS}, ANON: 302}),
    "schools:home": (NONE, {**{p: 302 for p in PERSONAS}, ANON: 302}),
    "schools:detail": (SLUG, statuses(OAKFIELD_STAFF)),
    "schools:appoint": (SLUG, statuses(["dsl", "head"])),
    "schools:end_appointment": (_appointment, statuses(["dsl", "head"])),
    "people:pupils": (SLUG, statuses(PEOPLE_READERS)),
    "people:pupil": (_pupil, statuses(PEOPLE_READERS)),
    "people:classes": (SLUG, statuses(PEOPLE_READERS)),
    "people:adults": (SLUG, statuses(PEOPLE_READERS)),
    "audit:log": (SLUG, statuses(["dsl", "head"])),
}


def _names(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _names(pattern.url_patterns, space)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_url_is_in_the_matrix() -> None:
    missing = set(_names(get_resolver().url_patterns)) - set(MATRIX)
    assert not missing, f"Add these URLs to the permission matrix: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_persona_gets_the_expected_status(
    name: str, oakfield: School, login_as: Callable[[str], Client]
) -> None:
    kwargs_for, expected = MATRIX[name]
    url = reverse(name, kwargs=kwargs_for(oakfield))
    got = {}
    for persona in [*PERSONAS, ANON]:
        client = Client() if persona == ANON else login_as(persona)
        got[persona] = client.get(url).status_code
    assert got == expected
