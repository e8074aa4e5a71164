"""Monitoring's writes: alerts from filter events and other tools, their triage, and term
changes. Each checks permission where a person acts, writes the audit row, and notifies on
commit."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.accounts.permissions import require, safeguarding_team
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.concerns import services as concern_services
from safeschool.concerns.models import Concern
from safeschool.engine.keywords import LibraryError, make_term
from safeschool.monitoring import rules
from safeschool.monitoring.matching import matcher_for
from safeschool.monitoring.models import Alert, AlertStatus, TermChange
from safeschool.monitoring.people import identify
from safeschool.notifications.services import notify
from safeschool.schools.models import School

MAX_CONTEXT = 50


def _event_summary(event: Any) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "action": event.action,
        "category": event.category,
        "host": event.host,
        "url": event.url[:500],
        "search": event.search_terms,
        "source": event.source,
    }


def is_check_request(host: str) -> bool:
    """The filtering checks' own test entries: logged as evidence, never an alert."""
    from safeschool.filtering.snapshot import CHECK_DOMAIN

    return (host or "").rstrip(".").lower().endswith("." + CHECK_DOMAIN)


class _Batch:
    """What one batch of events shares: each school's matcher and team, each user name's
    owner, looked up once rather than once an event."""

    def __init__(self) -> None:
        self.matchers: dict[Any, Any] = {}
        self.teams: dict[Any, list[User]] = {}
        self.owners: dict[tuple[Any, str], tuple[Any, Any]] = {}

    def matcher(self, school: School) -> Any:
        if school.pk not in self.matchers:
            self.matchers[school.pk] = matcher_for(school)
        return self.matchers[school.pk]

    def owner(self, school: School, username: str) -> tuple[Any, Any]:
        key = (school.pk, username.lower())
        if key not in self.owners:
            self.owners[key] = identify(school, username)
        return self.owners[key]

    def team(self, alert: Alert) -> list[User]:
        if alert.school_id not in self.teams:
            self.teams[alert.school_id] = safeguarding_team(alert.school)
        return [u for u in self.teams[alert.school_id] if u.pk != alert.user_id]


def process_events(events: Iterable[Any]) -> list[Alert]:
    """Raise or extend alerts for newly stored filter events. Called by the ingest worker in
    the transaction that stores the events, so each event is processed exactly once."""
    batch = _Batch()
    touched: dict[Any, Alert] = {}
    for event in events:
        if event.school_id is None or is_check_request(event.host):
            continue
        for finding in _findings(event, batch):
            alert = _raise_or_extend(event, finding, batch)
            touched[alert.pk] = alert
    return list(touched.values())


def _findings(event: Any, batch: _Batch) -> list[rules.Finding]:
    matches = batch.matcher(event.school).scan(event.search_terms) if event.search_terms else []
    found = rules.immediate_findings(event, matches)
    category = rules.repeated_block_category(event)
    if category is not None:
        count = _recent_blocks(event)
        if count >= rules.REPEATED_BLOCKS:
            found.append(rules.repeated_block_finding(category, count))
    return found


def _recent_blocks(event: Any) -> int:
    from safeschool.filterlog.models import FilterEvent

    recent = FilterEvent.objects.filter(
        school_id=event.school_id,
        action="block",
        category=event.category,
        at__gte=event.at - rules.REPEATED_WINDOW,
        at__lte=event.at,
    )
    recent = (
        recent.filter(username=event.username)
        if event.username
        else recent.filter(client=event.client)
    )
    return recent.count()


def _subject_key(event: Any) -> str:
    return f"user:{event.username.lower()}" if event.username else f"client:{event.client}"


def _raise_or_extend(event: Any, finding: rules.Finding, batch: _Batch) -> Alert:
    key = f"{_subject_key(event)}|{finding.rule}|{finding.category}"
    alert = (
        Alert.objects.select_for_update()
        .filter(
            school_id=event.school_id,
            episode_key=key,
            status=AlertStatus.NEW,
            last_at__gte=event.at - rules.EPISODE_GAP,
        )
        .order_by("-last_at")
        .first()
    )
    if alert is None:
        return _new_alert(event, finding, key, batch)
    was = alert.severity
    alert.severity = max(alert.severity, finding.severity)
    alert.last_at = max(alert.last_at, event.at)
    alert.event_count += 1
    if finding.severity > was:
        alert.term, alert.matched_text = finding.term, finding.matched_text
    if len(alert.context) < MAX_CONTEXT:
        alert.context = [*alert.context, _event_summary(event)]
    alert.save()
    if was < rules.NOTIFY_AT <= alert.severity:
        _notify_team(alert, batch.team(alert))
    return alert


def _new_alert(event: Any, finding: rules.Finding, key: str, batch: _Batch) -> Alert:
    pupil, user = batch.owner(event.school, event.username)
    alert = Alert.objects.create(
        school=event.school,
        severity=finding.severity,
        category=finding.category,
        rule=finding.rule,
        episode_key=key,
        username=event.username,
        pupil=pupil,
        user=user,
        client=event.client,
        first_at=event.at,
        last_at=event.at,
        term=finding.term,
        matched_text=finding.matched_text,
        context=[_event_summary(event)],
    )
    audit.record(
        "alert.created",
        school=event.school,
        subject=alert,
        data={"rule": finding.rule, "category": finding.category, "severity": finding.severity},
    )
    if alert.severity >= rules.NOTIFY_AT:
        _notify_team(alert, batch.team(alert))
    return alert


def _notify_team(alert: Alert, team: list[User]) -> None:
    """Tell the team at once, never the person the alert is about."""
    team = [u for u in team if u.pk != alert.user_id]
    url = reverse("monitoring:detail", args=[alert.school.slug, alert.pk])
    label = f"{alert.get_category_display()}, severity {alert.severity}"
    notify(
        team,
        alert.school,
        message=f"Monitoring alert: {label}",
        url=url,
        urgent=True,
        subject=f"URGENT: monitoring alert at {alert.school.name} ({label})",
        body=f"A severity {alert.severity} monitoring alert ({alert.get_rule_display()}) "
        f"has been raised at {alert.school.name}.\n\nLog in to SafeSchool to triage "
        f"it: {url}\nThis e-mail deliberately names no one.",
    )


@transaction.atomic
def record_external_alert(
    actor: Any,
    school: School,
    *,
    severity: int,
    category: str,
    text: str,
    source: str,
    username: str = "",
    client: str | None = None,
    device: str = "",
    at: datetime.datetime | None = None,
    context: list[Any] | None = None,
) -> Alert:
    """An alert sent by another monitoring tool through the API."""
    require(actor, school, Capability.MONITORING_FEED)
    when = at or timezone.now()
    pupil, user = identify(school, username)
    alert = Alert.objects.create(
        school=school,
        severity=severity,
        category=category,
        rule="external",
        source=source,
        episode_key=f"external:{source}:{username or client or device}:{when.isoformat()}",
        username=username,
        pupil=pupil,
        user=user,
        client=client,
        device=device,
        first_at=when,
        last_at=when,
        matched_text=text,
        context=context or [],
    )
    audit.record(
        "alert.received",
        actor=actor,
        school=school,
        subject=alert,
        data={"source": source, "severity": severity, "category": category},
    )
    if severity >= rules.NOTIFY_AT:
        _notify_team(alert, safeguarding_team(school))
    return alert


def _check_triage(actor: Any, alert: Alert) -> None:
    require(actor, alert.school, Capability.MONITORING_TRIAGE)
    if alert.user_id == actor.pk:
        raise PermissionDenied("You cannot triage an alert about your own activity.")
    if alert.status != AlertStatus.NEW:
        raise ValidationError("This alert has already been triaged.")


def _close(actor: Any, alert: Alert, status: AlertStatus, reason: str) -> Alert:
    alert.status, alert.triage_reason = status, reason
    alert.triaged_by, alert.triaged_at = actor, timezone.now()
    alert.save(update_fields=["status", "triage_reason", "triaged_by", "triaged_at", "concern"])
    audit.record(
        f"alert.{status}", actor=actor, school=alert.school, subject=alert, data={"reason": reason}
    )
    return alert


@transaction.atomic
def mark_false_positive(actor: Any, alert: Alert, reason: str) -> Alert:
    _check_triage(actor, alert)
    if not reason.strip():
        raise ValidationError(
            {"reason": ["Say why this is a false positive; it helps tune the terms."]}
        )
    return _close(actor, alert, AlertStatus.FALSE_POSITIVE, reason)


@transaction.atomic
def no_further_action(actor: Any, alert: Alert, reason: str) -> Alert:
    _check_triage(actor, alert)
    return _close(actor, alert, AlertStatus.NO_ACTION, reason)


@transaction.atomic
def raise_as_concern(actor: Any, alert: Alert, new: concern_services.NewConcern) -> Concern:
    """Create a concern in the safeguarding log, linked to the alert and carrying its context."""
    _check_triage(actor, alert)
    concern = concern_services.record_concern(actor, alert.school, new)
    alert.concern = concern
    _close(actor, alert, AlertStatus.RAISED, f"Raised as concern {concern.reference}")
    return concern


@transaction.atomic
def change_term(
    actor: Any,
    school: School,
    *,
    term: str,
    change: str,
    reason: str,
    category: str = "",
    severity: int | None = None,
) -> TermChange:
    require(actor, school, Capability.MONITORING_TRIAGE)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the term is being changed."]})
    if change in {TermChange.Change.ADD, TermChange.Change.REWEIGHT} and not (
        severity and 1 <= severity <= 5
    ):
        raise ValidationError({"severity": ["Give a severity from 1 to 5."]})
    if change == TermChange.Change.ADD:
        try:
            make_term(term, category, severity or 0)
        except LibraryError as error:
            raise ValidationError({"category": [str(error)]}) from None
    made = TermChange.objects.create(
        school=school,
        term=" ".join(term.lower().split()),
        change=change,
        category=category,
        severity=severity,
        reason=reason,
        changed_by=actor,
    )
    audit.record(
        "monitoring.term_changed",
        actor=actor,
        school=school,
        subject=made,
        data={"term": made.term, "change": change, "severity": severity, "reason": reason},
    )
    return made
