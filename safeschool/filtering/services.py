"""Change control for filtering (DfE standard 1; seed 004: "all changes to the filtering policy
are logged and recorded"). A change is proposed with its reason and risk assessment, approved
or rejected by someone else with `filtering:approve`, and only then applied and published.
Emergency blocks are applied and published at once, and flagged until approved after the event.
"""

from __future__ import annotations

import datetime
import ipaddress
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from safeschool.accounts.permissions import has_capability, require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.engine import PolicyError
from safeschool.engine.normalise import normalise_entry
from safeschool.filtering import snapshot
from safeschool.filtering.models import (
    WEEK,
    Change,
    FilterCategory,
    FilterGroup,
    GroupCategory,
    ListEntry,
    PolicyVersion,
    Schedule,
    describe_times,
)
from safeschool.schools.models import School

K = Change.Kind
GROUP_FIELDS = {
    "addresses",
    "usernames",
    "default_action",
    "no_access",
    "safe_search",
    "youtube",
    "block_ip_urls",
}
SCHEDULE_KINDS = {K.SCHEDULE_CHANGE, K.SCHEDULE_REMOVE}


def clean_entries(raw: list[str] | str) -> list[str]:
    """Domains (example.com) or URLs without a scheme (example.com/path), normalised."""
    items = raw.split() if isinstance(raw, str) else raw
    cleaned = []
    for item in items:
        text = item.strip().removeprefix("http://").removeprefix("https://")
        host, _, path = text.partition("/")
        host = normalise_entry(host)
        if not host or "." not in host or any(c in host for c in " *?#@"):
            raise ValidationError({"entries": [f"{item!r} is not a domain or URL."]})
        cleaned.append(f"{host}/{path}" if path else host)
    if not cleaned:
        raise ValidationError({"entries": ["Give at least one domain or URL."]})
    return sorted(set(cleaned))


def _check_addresses(text: str) -> None:
    for item in text.split():
        try:
            if "-" in item:
                first, last = item.split("-", 1)
                ipaddress.ip_address(first)
                ipaddress.ip_address(last)
            else:
                ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValidationError(
                {"addresses": [f"{item!r} is not an address or range."]}
            ) from None


def _validate(
    school: School, kind: str, group: FilterGroup | None, payload: dict[str, Any]
) -> dict[str, Any]:
    if group is not None and group.school_id != school.pk:
        raise ValidationError({"group": ["That group is not at this school."]})
    if kind in {K.ALLOW, K.DENY, K.REMOVE}:
        payload = {**payload, "entries": clean_entries(payload.get("entries", []))}
        if kind == K.REMOVE and payload.get("list") not in {"allow", "deny"}:
            raise ValidationError({"list": ["Choose the allow-list or the deny-list."]})
    elif kind in {K.BLOCK_CATEGORY, K.UNBLOCK_CATEGORY}:
        if group is None:
            raise ValidationError({"group": ["Choose the group."]})
        if payload.get("category") not in FilterCategory.values:
            raise ValidationError({"category": ["Choose a category."]})
        _validate_schedule(school, payload)
    elif kind == K.GROUP_SETTINGS:
        if group is None or not payload or set(payload) - GROUP_FIELDS:
            raise ValidationError({"group": ["Choose the group and what to change."]})
        _check_addresses(str(payload.get("addresses", "")))
    elif kind in SCHEDULE_KINDS:
        if group is not None:
            raise ValidationError({"group": ["A schedule is for the whole school, not a group."]})
        payload = _validate_schedule_change(school, kind, payload)
    else:
        raise ValidationError({"kind": ["Unknown kind of change."]})
    return payload


def _validate_schedule(school: School, payload: dict[str, Any]) -> None:
    when = payload.get("when", "always")
    if when not in {"always", "within", "outside"}:
        raise ValidationError({"when": ["Choose when the rule applies."]})
    if (
        when != "always"
        and not Schedule.objects.filter(school=school, name=payload.get("schedule")).exists()
    ):
        raise ValidationError({"schedule": ["Choose one of the school's schedules."]})


def _validate_schedule_change(school: School, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload of a change to, or the removal of, one of the school's schedules: its name
    and id, its days and times before, and (for a change) after."""
    name = str(payload.get("schedule") or "")
    schedule = Schedule.objects.filter(school=school, name=name).first()
    if schedule is None:
        raise ValidationError({"schedule": [f"There is no schedule called {name!r} here."]})
    cleaned: dict[str, Any] = {
        "schedule": schedule.name,
        "schedule_id": str(schedule.pk),
        "was": schedule.times(),
    }
    if kind == K.SCHEDULE_REMOVE:
        _check_unused(schedule)
        return cleaned
    now = clean_times(payload.get("days"), payload.get("start"), payload.get("end"))
    if now == cleaned["was"]:
        raise ValidationError(
            {"schedule": ["That is how the schedule is already: change its days or times."]}
        )
    return {**cleaned, **now}


def clean_times(days: Any, start: Any, end: Any) -> dict[str, Any]:
    """Days (in week order) and HH:MM times, or a ValidationError saying what is wrong."""
    errors: dict[str, list[str]] = {}
    if not isinstance(days, list | tuple) or not days:
        errors["days"] = ["Choose at least one day."]
    elif not all(isinstance(d, str) and d in WEEK for d in days):
        errors["days"] = ["Days are mon, tue, wed, thu, fri, sat or sun."]
    times = {}
    for field, value in (("start", start), ("end", end)):
        try:
            times[field] = _hh_mm(value)
        except ValueError:
            errors[field] = ["Enter a time of day such as 12:30."]
    if not errors and times["start"] >= times["end"]:
        errors["end"] = ["The end must be after the start (on the same day)."]
    if errors:
        raise ValidationError(errors)
    return {"days": [d for d in WEEK if d in days], **times}


def _hh_mm(value: Any) -> str:
    if isinstance(value, datetime.time):
        return f"{value:%H:%M}"
    if not isinstance(value, str):
        raise ValueError(value)
    return f"{datetime.datetime.strptime(value.strip(), '%H:%M').time():%H:%M}"


def schedule_users(schedule: Schedule) -> list[GroupCategory]:
    """The category rules that use the schedule, with their groups."""
    return list(
        GroupCategory.objects.filter(schedule=schedule)
        .select_related("group")
        .order_by("group__position", "group__name", "category")
    )


def _check_unused(schedule: Schedule) -> None:
    rules = schedule_users(schedule)
    if rules:
        raise ValidationError({"schedule": [in_use_message(schedule, rules)]})


def in_use_message(schedule: Schedule, rules: list[GroupCategory]) -> str:
    by_group: dict[str, list[str]] = {}
    for rule in rules:
        by_group.setdefault(rule.group.label, []).append(str(rule.get_category_display()))
    used = "; ".join(f"{label} ({', '.join(names)})" for label, names in by_group.items())
    return (
        f"The schedule {schedule.name} cannot be removed while rules use it: {used}. "
        "Propose changes to those groups' categories so that no rule uses it first."
    )


def describe(kind: str, group: FilterGroup | None, payload: dict[str, Any]) -> str:
    who = f" for {group.label}" if group else " for everyone"
    if kind in {K.ALLOW, K.DENY}:
        listed = ", ".join(payload["entries"][:5])
        return f"{K(kind).label}{who}: {listed}" + ("…" if len(payload["entries"]) > 5 else "")
    if kind == K.REMOVE:
        return f"Remove{who} from the {payload['list']}-list: {', '.join(payload['entries'][:5])}"
    if kind in {K.BLOCK_CATEGORY, K.UNBLOCK_CATEGORY}:
        label = FilterCategory(payload["category"]).label
        when = payload.get("when", "always")
        timing = "" if when == "always" else f" ({when} {payload.get('schedule')})"
        return f"{K(kind).label}{who}: {label}{timing}"
    if kind in SCHEDULE_KINDS:
        was = describe_times(**payload["was"])
        if kind == K.SCHEDULE_REMOVE:
            return f"Remove the schedule {payload['schedule']} ({was})"
        now = describe_times(payload["days"], payload["start"], payload["end"])
        return f"Change the schedule {payload['schedule']} to {now} (was {was})"
    return f"Change settings{who}: {', '.join(sorted(payload))}"


@transaction.atomic
def propose(
    actor: Any,
    school: School,
    *,
    kind: str,
    reason: str,
    risk_assessment: str,
    group: FilterGroup | None = None,
    payload: dict[str, Any] | None = None,
    unblock_request: Any = None,
) -> Change:
    require(actor, school, Capability.FILTERING_CHANGE)
    errors = {}
    if not reason.strip():
        errors["reason"] = ["Say why the change is needed."]
    if not risk_assessment.strip():
        errors["risk_assessment"] = ["Assess the risk of the change."]
    if errors:
        raise ValidationError(errors)
    payload = _validate(school, kind, group, payload or {})
    change = Change.objects.create(
        school=school,
        kind=kind,
        group=group,
        payload=payload,
        reason=reason,
        risk_assessment=risk_assessment,
        proposed_by=actor,
        summary=describe(kind, group, payload)[:300],
        unblock_request=unblock_request,
    )
    audit.record(
        "filtering.change_proposed",
        actor=actor,
        school=school,
        subject=change,
        data={"kind": kind, "summary": change.summary},
    )
    return change


@transaction.atomic
def emergency_block(
    actor: Any,
    school: School,
    *,
    entries: list[str] | str,
    reason: str,
    group: FilterGroup | None = None,
) -> Change:
    """Add to the deny-list and publish at once; flagged until approved after the event."""
    require(actor, school, Capability.FILTERING_EMERGENCY)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the block cannot wait."]})
    payload = _validate(school, K.DENY, group, {"entries": entries})
    change = Change.objects.create(
        school=school,
        kind=K.DENY,
        group=group,
        payload=payload,
        reason=reason,
        risk_assessment="Emergency block: to be risk-assessed when approved.",
        proposed_by=actor,
        emergency=True,
        status=Change.Status.EMERGENCY,
        summary=("Emergency block: " + describe(K.DENY, group, payload))[:300],
    )
    _apply(change, actor)
    change.version = _publish(school, actor)
    change.save(update_fields=["version"])
    audit.record(
        "filtering.emergency_block",
        actor=actor,
        school=school,
        subject=change,
        data={"entries": payload["entries"], "version": change.version.number},
    )
    return change


def _may_decide(actor: Any, change: Change) -> None:
    require(actor, change.school, Capability.FILTERING_APPROVE)
    if change.proposed_by_id == actor.pk:
        raise PermissionDenied("A change must be approved by someone other than its proposer.")


@transaction.atomic
def approve(actor: Any, change: Change, comment: str = "") -> Change:
    _may_decide(actor, change)
    change = Change.objects.select_for_update().get(pk=change.pk)
    if change.status == Change.Status.EMERGENCY:
        change.status = Change.Status.PUBLISHED  # already in force; now approved after the event
    elif change.status == Change.Status.PROPOSED:
        _apply(change, actor)
        change.version = _publish(change.school, actor)
        change.status = Change.Status.PUBLISHED
    else:
        raise ValidationError("This change has already been decided.")
    change.decided_by, change.decided_at, change.decision_comment = actor, timezone.now(), comment
    change.save()
    audit.record(
        "filtering.change_approved",
        actor=actor,
        school=change.school,
        subject=change,
        data={"version": change.version.number if change.version else None, "comment": comment},
    )
    _close_unblock_request(change, allowed=True)
    return change


@transaction.atomic
def reject(actor: Any, change: Change, comment: str) -> Change:
    _may_decide(actor, change)
    if not comment.strip():
        raise ValidationError({"comment": ["Say why the change is rejected."]})
    change = Change.objects.select_for_update().get(pk=change.pk)
    if change.status != Change.Status.PROPOSED:
        raise ValidationError("Only a change waiting for approval can be rejected.")
    change.status = Change.Status.REJECTED
    change.decided_by, change.decided_at, change.decision_comment = actor, timezone.now(), comment
    change.save()
    audit.record(
        "filtering.change_rejected",
        actor=actor,
        school=change.school,
        subject=change,
        data={"comment": comment},
    )
    _close_unblock_request(change, allowed=False)
    return change


def _close_unblock_request(change: Change, allowed: bool) -> None:
    if change.unblock_request_id is None:
        return
    from safeschool.filterlog.unblock import change_decided

    change_decided(change, allowed)


def _apply(change: Change, actor: Any) -> None:
    """Make the change to the policy rows (before publishing them). A change that can no
    longer be made raises ValidationError, and the caller's transaction changes nothing."""
    payload, group = change.payload, change.group
    if change.kind in {K.ALLOW, K.DENY}:
        existing = set(
            ListEntry.objects.filter(
                school=change.school, group=group, kind=change.kind
            ).values_list("entry", flat=True)
        )
        ListEntry.objects.bulk_create(
            [
                ListEntry(
                    school=change.school, group=group, kind=change.kind, entry=entry, change=change
                )
                for entry in payload["entries"]
                if entry not in existing
            ]
        )
    elif change.kind == K.REMOVE:
        ListEntry.objects.filter(
            school=change.school, group=group, kind=payload["list"], entry__in=payload["entries"]
        ).delete()
    elif change.kind == K.BLOCK_CATEGORY:
        assert group is not None
        when = payload.get("when", "always")
        schedule = None
        if when != "always":
            schedule = Schedule.objects.filter(
                school=change.school, name=payload.get("schedule")
            ).first()
            if schedule is None:  # removed since the change was proposed
                raise ValidationError(
                    {
                        "schedule": [
                            f"The schedule {payload.get('schedule')} no longer exists, so this "
                            "change cannot be made. Reject it and propose it again."
                        ]
                    }
                )
        GroupCategory.objects.update_or_create(
            group=group,
            category=payload["category"],
            defaults={"when": when, "schedule": schedule},
        )
    elif change.kind == K.UNBLOCK_CATEGORY:
        GroupCategory.objects.filter(group=group, category=payload["category"]).delete()
    elif change.kind == K.GROUP_SETTINGS:
        assert group is not None
        for name, value in payload.items():
            setattr(group, name, value)
        group.save()
    elif change.kind in SCHEDULE_KINDS:
        _apply_schedule(change, actor)


def _apply_schedule(change: Change, actor: Any) -> None:
    payload = change.payload
    schedule = (
        Schedule.objects.select_for_update()
        .filter(school=change.school, pk=payload["schedule_id"])
        .first()
    )
    if schedule is None:
        raise ValidationError(
            {
                "schedule": [
                    f"The schedule {payload['schedule']} has been removed since this change "
                    "was proposed, so it cannot be made."
                ]
            }
        )
    was = schedule.times()
    if change.kind == K.SCHEDULE_REMOVE:
        _check_unused(schedule)  # a rule may have started using it since the proposal
        audit.record(
            "filtering.schedule_removed",
            actor=actor,
            school=change.school,
            subject=schedule,
            data={"change": str(change.pk), "name": schedule.name, "was": was},
        )
        schedule.delete()
        return
    schedule.days = ",".join(payload["days"])
    schedule.start = datetime.time.fromisoformat(payload["start"])
    schedule.end = datetime.time.fromisoformat(payload["end"])
    schedule.save(update_fields=["days", "start", "end"])
    audit.record(
        "filtering.schedule_changed",
        actor=actor,
        school=change.school,
        subject=schedule,
        data={"change": str(change.pk), "name": schedule.name, "was": was, "now": schedule.times()},
    )


def _publish(school: School, actor: Any) -> PolicyVersion:
    try:
        return snapshot.publish(school, actor)
    except PolicyError as error:
        raise ValidationError(
            f"The filter refused the new policy, so nothing changed: {error}"
        ) from None


def can_decide(actor: Any, change: Change) -> bool:
    return (
        has_capability(actor, change.school, Capability.FILTERING_APPROVE)
        and change.proposed_by_id != actor.pk
    )


@transaction.atomic
def add_schedule(
    actor: Any, school: School, *, name: str, days: list[str], start: Any, end: Any
) -> Schedule:
    """A new named time rule, added at once: it changes nothing until an approved change uses
    it. Changing or removing one is a `Change` (SCHEDULE_CHANGE, SCHEDULE_REMOVE)."""
    require(actor, school, Capability.FILTERING_CHANGE)
    if Schedule.objects.filter(school=school, name=name).exists():
        raise ValidationError({"name": ["There is already a schedule with that name."]})
    times = clean_times(days, start, end)
    schedule = Schedule.objects.create(
        school=school,
        name=name,
        days=",".join(times["days"]),
        start=datetime.time.fromisoformat(times["start"]),
        end=datetime.time.fromisoformat(times["end"]),
    )
    audit.record(
        "filtering.schedule_added",
        actor=actor,
        school=school,
        subject=schedule,
        data={"name": name, "days": days, "start": str(start), "end": str(end)},
    )
    return schedule
