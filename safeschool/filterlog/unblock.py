"""Deciding unblock requests. "Keep blocked" decides one at once; "allow" proposes an
allow-list change through change control, and the request is decided with that change
(`change_decided`, called by `filtering.services.approve` and `reject`). The person who asked
is told in the app and by e-mail when signed in, and can always read the outcome on the
request's own page, whose address only they were shown."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeschool.audit import services as audit
from safeschool.filterlog.access import may_handle_requests
from safeschool.filterlog.models import UnblockRequest, unblock_entry
from safeschool.notifications.services import notify
from safeschool.schools.models import School

Status = UnblockRequest.Status


def entry_choices(unblock: UnblockRequest) -> list[str]:
    """What allowing a request may add: the page itself, or its whole site."""
    entry = unblock.entry
    host = entry.split("/", 1)[0]
    return [entry, host] if entry != host else [host]


def pending_change(unblock: UnblockRequest) -> Any:
    """The change this request became, while it waits for approval; else None."""
    from safeschool.filtering.models import Change

    return unblock.changes.filter(status=Change.Status.PROPOSED).first()


def _lock_open(actor: Any, school: School, unblock: UnblockRequest) -> UnblockRequest:
    if not may_handle_requests(actor, school):
        raise PermissionDenied("Unblock requests are for the technician and safeguarding team.")
    locked = UnblockRequest.objects.select_for_update().get(pk=unblock.pk)
    if locked.status != Status.OPEN:
        raise ValidationError("This request has already been decided.")
    change = pending_change(locked)
    if change is not None:
        raise ValidationError(f"This request is waiting for approval of change: {change}.")
    return locked


@transaction.atomic
def propose_allow(
    actor: Any,
    school: School,
    unblock: UnblockRequest,
    *,
    entry: str,
    reason: str,
    risk_assessment: str,
) -> Any:
    """Turn the request into an allow-list change; it stays open until that is decided."""
    from safeschool.filtering import services as filtering
    from safeschool.filtering.models import FilterGroup

    locked = _lock_open(actor, school, unblock)
    if entry not in entry_choices(locked):
        raise ValidationError({"entry": ["Choose the page or its whole site."]})
    group = FilterGroup.objects.filter(school=school, name=locked.group).first()
    change = filtering.propose(
        actor,
        school,
        kind="allow",
        group=group,
        payload={"entries": [entry]},
        reason=reason,
        risk_assessment=risk_assessment,
        unblock_request=locked,
    )
    if locked.school_id is None:
        locked.school = school
        locked.save(update_fields=["school"])
    audit.record(
        "unblock.change_proposed",
        actor=actor,
        school=school,
        subject=locked,
        data={"change": str(change.pk), "entry": entry, "reason": reason},
    )
    return change


@transaction.atomic
def keep_blocked(
    actor: Any, school: School, unblock: UnblockRequest, *, reason: str, reply: str = ""
) -> UnblockRequest:
    """Decide at once that the page stays blocked, saying why."""
    locked = _lock_open(actor, school, unblock)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the page stays blocked."]})
    _decide(locked, school, Status.KEPT, actor, reason, reply.strip())
    audit.record(
        "unblock.kept",
        actor=actor,
        school=school,
        subject=locked,
        data={"reason": reason, "reply": reply.strip()},
    )
    return locked


def change_decided(change: Any, allowed: bool) -> None:
    """Decide the request with its change, in the change's transaction, and tell the
    person who asked."""
    unblock = UnblockRequest.objects.select_for_update().filter(pk=change.unblock_request_id)
    locked = unblock.first()
    if locked is None or locked.status != Status.OPEN:
        return
    status = Status.ALLOWED if allowed else Status.KEPT
    verdict = "approved" if allowed else "rejected"
    reason = f"Change {verdict}: {change.summary}. {change.decision_comment}".strip()
    _decide(locked, change.school, status, change.decided_by, reason, "")
    audit.record(
        "unblock.allowed" if allowed else "unblock.kept",
        actor=change.decided_by,
        school=change.school,
        subject=locked,
        data={"change": str(change.pk), "comment": change.decision_comment},
    )


def _decide(
    unblock: UnblockRequest, school: School, status: str, actor: Any, reason: str, reply: str
) -> None:
    unblock.status = status
    unblock.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    unblock.decided_at = timezone.now()
    unblock.decision_reason = reason
    unblock.reply = reply
    unblock.school = unblock.school or school
    unblock.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "reply", "school"]
    )
    _tell_requester(unblock, school)


def _tell_requester(unblock: UnblockRequest, school: School) -> None:
    """In the app and by e-mail, for someone who was signed in when they asked."""
    if unblock.requested_by is None:
        return
    site = unblock_entry(unblock.url).split("/", 1)[0][:120]
    outcome = "unblocked" if unblock.status == Status.ALLOWED else "kept blocked"
    url = reverse("filterlog:request_status", args=[unblock.pk])
    notify(
        [unblock.requested_by],
        school,
        message=f"Your request about {site}: it has been {outcome}.",
        url=url,
        subject=f"Your unblock request: {outcome}",
        body=(
            f"You asked for a page on {site} to be unblocked. It has been {outcome}.\n\n"
            f"Read why: {url}\n"
        ),
    )
