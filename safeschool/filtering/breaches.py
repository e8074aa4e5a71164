"""Filtering breaches involving a pupil (seed 004): the record, the parents-informed step, any
report of illegal material, raising it as a concern, and closing it.

The safeguarding team (`concerns:manage`) records and handles breaches; the headteacher
(`concerns:read_all`) may read them but not change them. Each write checks permission, changes
the breach and writes the audit row in one transaction. Recording a breach notifies the rest of
the team; the e-mail names no one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.permissions import has_capability, safeguarding_team
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.concerns import services as concern_services
from safeschool.concerns.models import Category, Concern, ConcernType, PupilRole
from safeschool.filtering.models import Breach, ExternalBody
from safeschool.filterlog.access import events_for
from safeschool.filterlog.models import FilterEvent
from safeschool.monitoring.models import Alert
from safeschool.monitoring.people import identify
from safeschool.notifications.services import notify
from safeschool.people.models import Pupil
from safeschool.schools.models import School

C = Capability
ILLEGAL = "illegal"


def may_view(user: Any, school: School) -> bool:
    """The safeguarding team, and the headteacher, who reads every concern."""
    return has_capability(user, school, C.CONCERNS_MANAGE) or has_capability(
        user, school, C.CONCERNS_READ_ALL
    )


def may_manage(user: Any, school: School) -> bool:
    """Only the safeguarding team records and handles breaches."""
    return has_capability(user, school, C.CONCERNS_MANAGE)


def _require_manage(user: Any, school: School) -> None:
    if not may_manage(user, school):
        raise PermissionDenied("Filtering breaches are handled by the safeguarding team.")


def breaches_for(user: Any, school: School) -> QuerySet[Breach]:
    """The school's breaches, open ones first, then the most recent."""
    if not may_view(user, school):
        raise PermissionDenied("Filtering breaches are for the safeguarding team.")
    open_first = Case(
        When(status=Breach.Status.OPEN, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Breach.objects.filter(school=school)
        .select_related("pupil", "recorded_by", "concern")
        .annotate(open_first=open_first)
        .order_by("open_first", "-occurred_at")
    )


def get_breach_for(user: Any, school: School, breach_id: Any) -> Breach:
    """One breach of this school; another school's is a 404."""
    return get_object_or_404(breaches_for(user, school), pk=breach_id)


def event_for(user: Any, school: School, event_id: Any) -> FilterEvent | None:
    """A block in this school's filter log, or None (another school's, or not a block)."""
    try:
        return events_for(user, school).filter(action="block").get(pk=event_id)
    except (FilterEvent.DoesNotExist, ValueError, TypeError):
        return None


def alert_for_event(school: School, event: FilterEvent) -> Alert | None:
    """The monitoring alert whose episode took in this event, if there is one."""
    if not event.username:
        return None
    return (
        Alert.objects.filter(
            school=school,
            username__iexact=event.username,
            first_at__lte=event.at,
            last_at__gte=event.at,
        )
        .order_by("-severity")
        .first()
    )


def details_from_event(school: School, event: FilterEvent) -> dict[str, Any]:
    """What a filter event says about a breach: the pupil behind the user name, the address,
    the category and the time."""
    pupil, _ = identify(school, event.username)
    return {
        "pupil": pupil,
        "occurred_at": event.at,
        "url": event.url or event.host,
        "category": event.category,
        "event": event,
        "alert": alert_for_event(school, event),
    }


@dataclass
class NewBreach:
    """What the new-breach form collects. Empty fields are filled from `event` when given."""

    what_happened: str
    pupil: Pupil | None = None
    occurred_at: datetime.datetime | None = None
    url: str = ""
    category: str = ""
    event: FilterEvent | None = None
    alert: Alert | None = None


def _filled(school: School, new: NewBreach) -> dict[str, Any]:
    fields = {
        "pupil": new.pupil,
        "occurred_at": new.occurred_at,
        "url": new.url.strip(),
        "category": new.category.strip(),
        "event": new.event,
        "alert": new.alert,
    }
    if new.event is not None:
        found = details_from_event(school, new.event)
        fields = {key: value or found[key] for key, value in fields.items()}
    return {**fields, "what_happened": new.what_happened.strip()}


def _validate_new(actor: Any, school: School, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    pupil = fields["pupil"]
    if pupil is None:
        errors["pupil"] = ["Choose the pupil involved."]
    elif pupil.school_id != school.pk:
        errors["pupil"] = ["That pupil is not at this school."]
    if fields["occurred_at"] is None:
        errors["occurred_at"] = ["Say when it happened."]
    elif fields["occurred_at"] > timezone.now():
        errors["occurred_at"] = ["This cannot be in the future."]
    if not fields["url"]:
        errors["url"] = ["Give the address or site the pupil tried to reach."]
    if not fields["what_happened"]:
        errors["what_happened"] = ["Say what happened."]
    if fields["event"] is not None and event_for(actor, school, fields["event"].pk) is None:
        errors["event"] = ["That filter log entry is not a block at this school."]
    if fields["alert"] is not None and fields["alert"].school_id != school.pk:
        errors["alert"] = ["That alert is not at this school."]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_breach(actor: Any, school: School, new: NewBreach) -> Breach:
    """Record a breach, from scratch or from a blocked filter event; notifies the team."""
    _require_manage(actor, school)
    fields = _filled(school, new)
    _validate_new(actor, school, fields)
    breach = Breach.objects.create(school=school, recorded_by=actor, **fields)
    audit.record(
        "filtering.breach_recorded",
        actor=actor,
        school=school,
        subject=breach,
        data={
            "pupil": str(breach.pupil_id),
            "category": breach.category,
            "event": breach.event_id,
            "alert": str(breach.alert_id) if breach.alert_id else None,
        },
    )
    _notify_team(actor, breach)
    return breach


def _notify_team(actor: Any, breach: Breach) -> None:
    """The whole safeguarding team, bar whoever recorded it (seed 003). Nobody is named."""
    school = breach.school
    team = [u for u in safeguarding_team(school) if u.pk != actor.pk]
    url = reverse("filtering:breach", kwargs={"slug": school.slug, "breach_id": breach.pk})
    when = timezone.localtime(breach.occurred_at)
    notify(
        team,
        school,
        message=f"Filtering breach recorded: {breach.category_label}, {when:%d %b %Y %H:%M}",
        url=url,
        urgent=breach.category == ILLEGAL,
        subject=f"Filtering breach recorded at {school.name}",
        body=(
            f"A filtering breach involving a pupil has been recorded at {school.name}.\n\n"
            f"Log in to SafeSchool to read it: {url}\n"
            "This e-mail deliberately names no one."
        ),
    )


def _check_open(breach: Breach) -> None:
    if not breach.is_open:
        raise ValidationError("This breach is closed.")


def _log(event: str, actor: Any, breach: Breach, **data: Any) -> None:
    audit.record(event, actor=actor, school=breach.school, subject=breach, data=data)


@transaction.atomic
def record_parents_informed(
    actor: Any,
    breach: Breach,
    *,
    informed: bool,
    informed_on: datetime.date | None = None,
    how: str = "",
    reason_not_informed: str = "",
) -> Breach:
    """Parents or carers informed (when, who and how), or the reason they were not."""
    _require_manage(actor, breach.school)
    _check_open(breach)
    if informed and not informed_on:
        raise ValidationError({"informed_on": ["Say when they were informed."]})
    if informed and informed_on and informed_on > timezone.localdate():
        raise ValidationError({"informed_on": ["This cannot be in the future."]})
    if not informed and not reason_not_informed.strip():
        raise ValidationError({"reason_not_informed": ["Say why they were not informed."]})
    breach.parents_informed = informed
    breach.parents_informed_on = informed_on if informed else None
    breach.parents_informed_how = how.strip() if informed else ""
    breach.parents_not_informed_reason = "" if informed else reason_not_informed.strip()
    breach.parents_recorded_by, breach.parents_recorded_at = actor, timezone.now()
    breach.save()
    _log("filtering.breach_parents_recorded", actor, breach, informed=informed)
    return breach


@transaction.atomic
def record_external_report(
    actor: Any,
    breach: Breach,
    *,
    reported_to: str,
    reported_on: datetime.date | None,
    reference: str = "",
) -> Breach:
    """Illegal material reported to the IWF, the police or CEOP (seed 004)."""
    _require_manage(actor, breach.school)
    _check_open(breach)
    errors: dict[str, list[str]] = {}
    if reported_to not in ExternalBody.values:
        errors["reported_to"] = ["Choose who it was reported to."]
    if reported_on is None:
        errors["reported_on"] = ["Say when it was reported."]
    elif reported_on > timezone.localdate():
        errors["reported_on"] = ["This cannot be in the future."]
    if errors:
        raise ValidationError(errors)
    breach.reported_to, breach.reported_on = reported_to, reported_on
    breach.report_reference = reference.strip()
    breach.save(update_fields=["reported_to", "reported_on", "report_reference"])
    _log("filtering.breach_reported", actor, breach, reported_to=reported_to)
    return breach


def account_from(breach: Breach) -> str:
    """The breach written out as the account of a new concern."""
    lines = [
        f"Filtering breach on {timezone.localtime(breach.occurred_at):%d/%m/%Y %H:%M}.",
        f"Tried to reach: {breach.url}",
        f"Filter category: {breach.category_label}.",
        "",
        breach.what_happened,
    ]
    if breach.parents_informed is not None:
        lines += ["", _parents_line(breach)]
    if breach.reported_to:
        lines.append(f"Reported to {breach.get_reported_to_display()} on {breach.reported_on}.")
    return "\n".join(lines)


def _parents_line(breach: Breach) -> str:
    if breach.parents_informed:
        how = f" ({breach.parents_informed_how})" if breach.parents_informed_how else ""
        return f"Parents or carers informed on {breach.parents_informed_on}{how}."
    return f"Parents or carers not informed: {breach.parents_not_informed_reason}"


@transaction.atomic
def raise_as_concern(
    actor: Any,
    breach: Breach,
    *,
    category: str = Category.CONTENT,
    account: str = "",
    urgent: bool = False,
) -> Concern:
    """A "filtering breach" concern with the pupil as its subject, linked to the breach."""
    _require_manage(actor, breach.school)
    _check_open(breach)
    if breach.concern_id is not None:
        raise ValidationError("This breach has already been raised as a concern.")
    concern = concern_services.record_concern(
        actor,
        breach.school,
        concern_services.NewConcern(
            category=category,
            concern_type=ConcernType.FILTERING_BREACH,
            account=account.strip() or account_from(breach),
            urgent=urgent,
            pupils=[(breach.pupil, PupilRole.SUBJECT)],
            occurred_at=breach.occurred_at,
        ),
    )
    if breach.parents_informed is not None:
        # The parents-informed step was taken on the breach: the concern records it too.
        concern_services.record_parent_contact(
            actor,
            concern,
            informed=breach.parents_informed,
            informed_on=breach.parents_informed_on,
            who=breach.parents_informed_how,
            reason_not_informed=breach.parents_not_informed_reason,
        )
    breach.concern = concern
    breach.save(update_fields=["concern"])
    _log("filtering.breach_raised", actor, breach, concern=concern.reference)
    return concern


@transaction.atomic
def close(actor: Any, breach: Breach, *, note: str) -> Breach:
    """Close the breach with a note of how it ended."""
    _require_manage(actor, breach.school)
    _check_open(breach)
    if not note.strip():
        raise ValidationError({"note": ["Say how the breach was resolved."]})
    breach.status, breach.closing_note = Breach.Status.CLOSED, note.strip()
    breach.closed_by, breach.closed_at = actor, timezone.now()
    breach.save(update_fields=["status", "closing_note", "closed_by", "closed_at"])
    _log("filtering.breach_closed", actor, breach)
    return breach
