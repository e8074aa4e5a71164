"""Every URL × every demo persona → the status each must get. A URL added to the project
without a row here fails `test_every_url_is_in_the_matrix`."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from safeschool.accounts.models import User
from safeschool.concerns import services
from safeschool.concerns.models import Action, Concern
from safeschool.notifications.models import Notification
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


def _concern(oak: School) -> dict[str, Any]:
    concern = Concern.objects.get(school=oak, concern_type="online_bullying")
    return {"slug": "oakfield", "concern_id": concern.pk}


def _action(oak: School) -> dict[str, Any]:
    action = Action.objects.filter(concern__school=oak).first()
    assert action is not None
    return {"slug": "oakfield", "concern_id": action.concern_id, "action_id": action.pk}


def _attachment(oak: School) -> dict[str, Any]:
    concern = Concern.objects.get(school=oak, concern_type="online_bullying")
    upload = SimpleUploadedFile("statement.txt", b"Written statement", "text/plain")
    found = services.add_attachment(User.objects.get(username="dsl"), concern, upload)
    return {"slug": "oakfield", "concern_id": concern.pk, "attachment_id": found.pk}


def _step(oak: School) -> dict[str, Any]:
    return {**_concern(oak), "step": "note"}


def _pupil_row(oak: School) -> dict[str, Any]:
    return {"slug": "oakfield", "pupil_id": oak.pupils.first().pk}  # type: ignore[union-attr]


def _notification(oak: School) -> dict[str, Any]:
    note = Notification.objects.filter(school=oak).first()
    assert note is not None
    return {"notification_id": note.pk}


def _alert(oak: School) -> dict[str, Any]:
    from safeschool.monitoring.services import record_external_alert

    alert = record_external_alert(
        User.objects.get(username="technician"),
        oak,
        severity=2,
        category="bullying",
        text="mean message",
        source="test",
    )
    return {"slug": "oakfield", "alert_id": alert.pk}


def _alert_triage(oak: School) -> dict[str, Any]:
    return {**_alert(oak), "outcome": "no-action"}


def _change(oak: School) -> dict[str, Any]:
    from safeschool.filtering.models import Change

    change = Change.objects.filter(school=oak, status="proposed").first()
    assert change is not None
    return {"slug": "oakfield", "change_id": change.pk}


def _decide(oak: School) -> dict[str, Any]:
    return {**_change(oak), "decision": "approve"}


def _filter_group(oak: School) -> dict[str, Any]:
    from safeschool.filtering.models import FilterGroup

    return {"slug": "oakfield", "group_id": FilterGroup.objects.filter(school=oak)[0].pk}


def _schedule(oak: School) -> dict[str, Any]:
    from safeschool.filtering.models import Schedule

    return {"slug": "oakfield", "schedule_id": Schedule.objects.get(school=oak, name="lunch").pk}


def _unblock(oak: School) -> dict[str, Any]:
    from safeschool.filterlog.models import UnblockRequest

    found = UnblockRequest.objects.create(school=oak, url="http://games.example/", group="ks2")
    return {"slug": "oakfield", "request_id": found.pk}


def _unblock_decide(oak: School) -> dict[str, Any]:
    return {**_unblock(oak), "decision": "keep"}


def _unblock_status(oak: School) -> dict[str, Any]:
    return {"request_id": _unblock(oak)["request_id"]}


def _appointment(oak: School) -> dict[str, Any]:
    return {"slug": "oakfield", "appointment_id": KeyPerson.objects.filter(school=oak)[0].pk}


def _review(oak: School) -> dict[str, Any]:
    from safeschool.filtering.models import AnnualReview

    review = AnnualReview.objects.create(
        school=oak,
        review_date=datetime.date(2025, 9, 1),
        next_review_due=datetime.date(2026, 9, 1),
        what_was_checked="Checks",
        results="Fine",
        actions="None",
        created_by=User.objects.get(username="dsl"),
    )
    return {"slug": "oakfield", "review_id": review.pk}


def _breach(oak: School) -> dict[str, Any]:
    from safeschool.filtering.breaches import NewBreach, record_breach

    breach = record_breach(
        User.objects.get(username="dsl"),
        oak,
        NewBreach(
            what_happened="Tried to reach a blocked site.",
            pupil=oak.pupils.first(),
            occurred_at=datetime.datetime(2025, 9, 1, 10, 0, tzinfo=datetime.UTC),
            url="adult.example",
        ),
    )
    return {"slug": "oakfield", "breach_id": breach.pk}


def _breach_step(oak: School) -> dict[str, Any]:
    return {**_breach(oak), "step": "close"}


def _concern_api(oak: School) -> dict[str, Any]:
    return {"concern_id": _concern(oak)["concern_id"]}


SLUG: Callable[[School], dict[str, Any]] = lambda oak: {"slug": "oakfield"}  # noqa: E731
NONE: Callable[[School], dict[str, Any]] = lambda oak: {}  # noqa: E731
PEOPLE_READERS = ["dsl", "deputy", "head", "teacher"]
CONCERN_READERS = ["dsl", "deputy", "head", "teacher"]  # the team, the head, the reporter
EVERYONE = {p: 200 for p in PERSONAS}
POST_ONLY = {**{p: 405 for p in PERSONAS}, ANON: 302}
FILTER_READERS = ["dsl", "deputy", "head", "technician"]
REVIEW_READERS = [*FILTER_READERS, "governor", "chair"]
TOKEN_ONLY = {**{p: 401 for p in PERSONAS}, ANON: 401}

MATRIX: dict[str, tuple[Callable[[School], dict[str, Any]], dict[str, int]]] = {
    "healthz": (NONE, {**{p: 200 for p in PERSONAS}, ANON: 200}),
    # A blocked child may not be signed in: the block page is for everyone.
    "filterlog:blocked": (NONE, {**{p: 200 for p in PERSONAS}, ANON: 200}),
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
    "notifications:inbox": (NONE, {**EVERYONE, ANON: 302}),
    "notifications:open": (_notification, POST_ONLY),
    "concerns:list": (SLUG, statuses(OAKFIELD_STAFF)),
    "concerns:new": (SLUG, statuses(OAKFIELD_STAFF)),
    "concerns:dashboard": (SLUG, statuses(["dsl", "deputy", "head"])),
    "concerns:pupil_search": (SLUG, statuses(OAKFIELD_STAFF)),
    "concerns:pupil_row": (_pupil_row, statuses(OAKFIELD_STAFF)),
    "concerns:detail": (_concern, statuses(CONCERN_READERS, default=404)),
    "concerns:recorded": (_concern, statuses(CONCERN_READERS, default=404)),
    "concerns:action_done": (_action, POST_ONLY),
    "concerns:attachment": (_attachment, statuses(["dsl", "deputy", "head"], default=404)),
    "concerns:step": (_step, POST_ONLY),
    "concerns:chronology": (_pupil, statuses(["dsl", "deputy", "head"])),
    "monitoring:queue": (SLUG, statuses(["dsl", "deputy"])),
    "monitoring:terms": (SLUG, statuses(["dsl", "deputy"])),
    "monitoring:detail": (_alert, statuses(["dsl", "deputy"])),
    "monitoring:triage": (_alert_triage, POST_ONLY),
    "api:alerts": (NONE, TOKEN_ONLY),
    "filtering:overview": (SLUG, statuses(FILTER_READERS)),
    "filtering:changes": (SLUG, statuses(FILTER_READERS)),
    "filtering:change": (_change, statuses(FILTER_READERS)),
    "filtering:sources": (SLUG, statuses(FILTER_READERS)),
    "filtering:propose": (SLUG, statuses(["technician"])),
    "filtering:schedule_new": (SLUG, statuses(["technician"])),
    "filtering:schedule_change": (_schedule, statuses(["technician"])),
    "filtering:schedule_remove": (_schedule, statuses(["technician"])),
    "filtering:group_settings": (_filter_group, statuses(["technician"])),
    "filtering:emergency": (SLUG, statuses(["dsl", "deputy", "technician"])),
    "filtering:decide": (_decide, POST_ONLY),
    # Filtering checks: readers see them; technician, safeguarding team and head run them.
    "filtering:checks": (SLUG, statuses(FILTER_READERS)),
    "filtering:run_checks": (SLUG, POST_ONLY),
    # The annual review: read by filtering readers and governors; recorded by the DSL or head.
    "filtering:reviews": (SLUG, statuses(REVIEW_READERS)),
    "filtering:review_new": (SLUG, statuses(["dsl", "head"])),
    "filtering:review": (_review, statuses(REVIEW_READERS)),
    # Breaches involving a pupil: handled by the safeguarding team; the head may read them.
    "filtering:breaches": (SLUG, statuses(["dsl", "deputy", "head"])),
    "filtering:breach_new": (SLUG, statuses(["dsl", "deputy"])),
    "filtering:breach": (_breach, statuses(["dsl", "deputy", "head"])),
    "filtering:breach_step": (_breach_step, POST_ONLY),
    # The unblock queue: the technician and the safeguarding team.
    "filterlog:unblock_queue": (SLUG, statuses(["dsl", "deputy", "technician"])),
    "filterlog:unblock_request": (_unblock, statuses(["dsl", "deputy", "technician"])),
    "filterlog:unblock_decide": (_unblock_decide, POST_ONLY),
    # Its outcome, for whoever asked (signed in or not), behind an unguessable UUID.
    "filterlog:request_status": (_unblock_status, {**EVERYONE, ANON: 200}),
    "filterlog:logs": (SLUG, statuses(FILTER_READERS)),
    "filterlog:logs_csv": (SLUG, statuses(FILTER_READERS)),
    "api:openapi": (NONE, {**EVERYONE, ANON: 200}),
    "api:pupils": (NONE, TOKEN_ONLY),
    "api:concerns": (NONE, {**{p: 405 for p in PERSONAS}, ANON: 405}),
    "api:concern": (_concern_api, TOKEN_ONLY),
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
