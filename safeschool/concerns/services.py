"""Every change to the safeguarding log. Each function checks permission, changes the data and
writes the audit row in one transaction; notifications go out on commit."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.accounts.permissions import holders_of, require
from safeschool.accounts.roles import SAFEGUARDING_TEAM_ROLES, Capability, Role
from safeschool.audit import services as audit
from safeschool.concerns import access
from safeschool.concerns.models import (
    Action,
    Attachment,
    Concern,
    ConcernAccount,
    ConcernPupil,
    Decision,
    Note,
    ParentContact,
    PupilRole,
    Referral,
    Status,
    StatusChange,
)
from safeschool.concerns.uploads import check_upload
from safeschool.notifications.services import notify
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School


@dataclass
class NewConcern:
    """What the quick form or the API collects."""

    category: str
    concern_type: str
    account: str
    urgent: bool = False
    pupils: Sequence[tuple[Pupil, str]] = ()
    about_adult: Adult | None = None
    allegation_level: str = ""
    occurred_at: datetime.datetime | None = None
    location: str = ""
    immediate_action: str = ""
    attachments: Sequence[UploadedFile] = field(default_factory=list)


def _validate(school: School, new: NewConcern) -> None:
    errors: dict[str, list[str]] = {}
    if not new.pupils and new.about_adult is None:
        errors["pupils"] = ["Add at least one pupil, or the adult the concern is about."]
    if any(p.school_id != school.pk for p, _ in new.pupils):
        errors["pupils"] = ["Every pupil must be at this school."]
    if len({p.pk for p, _ in new.pupils}) != len(new.pupils):
        errors["pupils"] = ["Each pupil can be added once, with one role."]
    if any(role not in PupilRole.values for _, role in new.pupils):
        errors["pupils"] = ["Choose a role for each pupil."]
    if new.about_adult is not None and new.about_adult.school_id != school.pk:
        errors["about_adult"] = ["That adult is not at this school."]
    if not new.account.strip():
        errors["account"] = ["Say what was seen or heard."]
    for upload in new.attachments:
        problem = check_upload(upload, new.concern_type)
        if problem:
            errors.setdefault("attachments", []).append(problem)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_concern(actor: Any, school: School, new: NewConcern) -> Concern:
    require(actor, school, Capability.CONCERNS_RECORD)
    _validate(school, new)
    # Lock the school's row so that two concerns recorded at once get different numbers.
    School.objects.select_for_update().filter(pk=school.pk).values_list("pk").get()
    number = (Concern.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0) + 1
    concern = Concern.objects.create(
        school=school,
        number=number,
        reporter=actor,
        category=new.category,
        concern_type=new.concern_type,
        urgent=new.urgent,
        occurred_at=new.occurred_at,
        location=new.location,
        immediate_action=new.immediate_action,
        about_adult=new.about_adult,
        allegation_level=new.allegation_level if new.about_adult else "",
        about_headteacher=bool(new.about_adult and access.is_headteacher(new.about_adult)),
    )
    ConcernAccount.objects.create(concern=concern, version=1, text=new.account, written_by=actor)
    for pupil, role in new.pupils:
        ConcernPupil.objects.create(concern=concern, pupil=pupil, role=role)
    for upload in new.attachments:
        _store_attachment(actor, concern, upload)
    audit.record(
        "concern.created",
        actor=actor,
        school=school,
        subject=concern,
        data={
            "category": new.category,
            "type": new.concern_type,
            "urgent": new.urgent,
            "pupils": [str(p.pk) for p, _ in new.pupils],
            "allegation": concern.is_allegation,
        },
    )
    _alert(concern)
    return concern


def alert_recipients(concern: Concern) -> list[User]:
    """The safeguarding team for a concern about a child; the case managers for an allegation.
    Never the adult an allegation is about."""
    school = concern.school
    if concern.is_allegation:
        managers = {
            Role.DSL,
            Role.CHAIR_OF_GOVERNORS if concern.about_headteacher else Role.HEADTEACHER,
        }
        users = holders_of(school, managers)
    else:
        users = holders_of(school, SAFEGUARDING_TEAM_ROLES)
    if concern.about_adult is not None and concern.about_adult.user_id:
        users = users.exclude(pk=concern.about_adult.user_id)
    return list(users)


def _alert(concern: Concern) -> None:
    kind = "allegation about an adult" if concern.is_allegation else "safeguarding concern"
    urgency = "URGENT: " if concern.urgent else ""
    url = reverse("concerns:detail", args=[concern.school.slug, concern.pk])
    notify(
        alert_recipients(concern),
        concern.school,
        message=f"{urgency}New {kind} {concern.reference}: {concern.get_concern_type_display()}",
        url=url,
        urgent=concern.urgent,
        subject=f"{urgency}New {kind} {concern.reference} at {concern.school.name}",
        body=(
            f"A new {kind} has been recorded at {concern.school.name}.\n\n"
            f"Reference: {concern.reference}\nType: {concern.get_concern_type_display()}\n"
            f"Urgent: {'yes' if concern.urgent else 'no'}\n\n"
            f"Log in to SafeSchool to read it: {url}\n"
            "This e-mail deliberately names no one."
        ),
    )


def _require_manage(actor: Any, concern: Concern) -> None:
    if not access.can_manage(actor, concern):
        raise PermissionDenied("Only the safeguarding team or the case manager can do this.")


def _log(event: str, actor: Any, concern: Concern, **data: Any) -> None:
    audit.record(event, actor=actor, school=concern.school, subject=concern, data=data)


def _change_status(actor: Any, concern: Concern, to: Status, reason: str) -> None:
    StatusChange.objects.create(
        concern=concern, created_by=actor, from_status=concern.status, to_status=to, reason=reason
    )
    concern.status = to


@transaction.atomic
def triage(actor: Any, concern: Concern, *, owner: Any, note: str = "") -> Concern:
    _require_manage(actor, concern)
    if concern.status != Status.NEW:
        raise ValidationError("This concern has already been triaged.")
    _check_owner(concern, owner)
    _change_status(actor, concern, Status.OPEN, note)
    concern.owner = owner
    concern.triaged_at = timezone.now()
    concern.save(update_fields=["owner", "triaged_at", "status"])
    _log("concern.triaged", actor, concern, owner=owner.get_username())
    return concern


def _check_owner(concern: Concern, owner: Any) -> None:
    if not access.can_manage(owner, concern):
        raise ValidationError({"owner": ["The case owner must be able to manage this concern."]})


@transaction.atomic
def assign_owner(actor: Any, concern: Concern, owner: Any) -> Concern:
    _require_manage(actor, concern)
    _check_owner(concern, owner)
    concern.owner = owner
    concern.save(update_fields=["owner"])
    _log("concern.owner_changed", actor, concern, owner=owner.get_username())
    return concern


@transaction.atomic
def add_action(
    actor: Any, concern: Concern, *, description: str, assigned_to: Any, due_on: datetime.date
) -> Action:
    _require_manage(actor, concern)
    action = Action.objects.create(
        concern=concern,
        created_by=actor,
        description=description,
        assigned_to=assigned_to,
        due_on=due_on,
    )
    _log(
        "concern.action_added",
        actor,
        concern,
        assigned_to=assigned_to.get_username(),
        due_on=str(due_on),
    )
    return action


@transaction.atomic
def complete_action(actor: Any, action: Action) -> Action:
    _require_manage(actor, action.concern)
    if action.done_at is None:
        action.done_at, action.done_by = timezone.now(), actor
        action.save(update_fields=["done_at", "done_by"])
        _log("concern.action_done", actor, action.concern, action=str(action.pk))
    return action


@transaction.atomic
def record_decision(
    actor: Any, concern: Concern, *, decision: str, reason: str, not_to_refer: bool = False
) -> Decision:
    _require_manage(actor, concern)
    made = Decision.objects.create(
        concern=concern,
        created_by=actor,
        decision=decision,
        reason=reason,
        not_to_refer=not_to_refer,
    )
    _log("concern.decision_recorded", actor, concern, not_to_refer=not_to_refer)
    return made


@transaction.atomic
def refer(
    actor: Any,
    concern: Concern,
    *,
    agency: str,
    referred_on: datetime.date,
    reference: str = "",
    response: str = "",
) -> Referral:
    _require_manage(actor, concern)
    referral = Referral.objects.create(
        concern=concern,
        created_by=actor,
        agency=agency,
        referred_on=referred_on,
        reference=reference,
        response=response,
    )
    _log("concern.referred", actor, concern, agency=agency)
    return referral


@transaction.atomic
def record_parent_contact(
    actor: Any,
    concern: Concern,
    *,
    informed: bool,
    informed_on: datetime.date | None = None,
    who: str = "",
    reason_not_informed: str = "",
) -> ParentContact:
    _require_manage(actor, concern)
    if informed and not informed_on:
        raise ValidationError({"informed_on": ["Say when they were informed."]})
    if not informed and not reason_not_informed.strip():
        raise ValidationError({"reason_not_informed": ["Say why they were not informed."]})
    contact = ParentContact.objects.create(
        concern=concern,
        created_by=actor,
        informed=informed,
        informed_on=informed_on,
        who=who,
        reason_not_informed=reason_not_informed,
    )
    _log("concern.parents_recorded", actor, concern, informed=informed)
    return contact


@transaction.atomic
def add_note(actor: Any, concern: Concern, text: str) -> Note:
    """The reporter adds information, or the team adds a note."""
    is_reporter = concern.reporter_id == actor.pk
    if not is_reporter:
        _require_manage(actor, concern)
    note = Note.objects.create(
        concern=concern,
        created_by=actor,
        text=text,
        from_reporter=is_reporter and not access.can_manage(actor, concern),
    )
    _log("concern.note_added", actor, concern, from_reporter=note.from_reporter)
    if note.from_reporter and concern.owner_id:
        notify(
            [concern.owner],
            concern.school,
            message=f"More information on {concern}",
            url=reverse("concerns:detail", args=[concern.school.slug, concern.pk]),
            subject=f"More information on {concern.reference}",
            body="The person who reported this concern has added information.",
        )
    return note


@transaction.atomic
def edit_account(actor: Any, concern: Concern, *, text: str, reason: str) -> ConcernAccount:
    """A new version of the account; the earlier ones stay, visible to the team."""
    if concern.reporter_id != actor.pk:
        _require_manage(actor, concern)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the account is being changed."]})
    latest = concern.accounts.order_by("-version").first()
    version = ConcernAccount.objects.create(
        concern=concern,
        version=(latest.version if latest else 0) + 1,
        text=text,
        written_by=actor,
        reason=reason,
    )
    _log("concern.account_edited", actor, concern, version=version.version)
    return version


@transaction.atomic
def add_attachment(actor: Any, concern: Concern, upload: UploadedFile) -> Attachment:
    if concern.reporter_id != actor.pk:
        _require_manage(actor, concern)
    problem = check_upload(upload, concern.concern_type)
    if problem:
        raise ValidationError({"file": [problem]})
    return _store_attachment(actor, concern, upload)


def _store_attachment(actor: Any, concern: Concern, upload: UploadedFile) -> Attachment:
    stored_name = uuid.uuid4().hex
    folder = Path(settings.MEDIA_ROOT) / "concerns"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / stored_name).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    attachment = Attachment.objects.create(
        concern=concern,
        created_by=actor,
        original_name=(upload.name or "file")[:200],
        content_type=(upload.content_type or "application/octet-stream")[:100],
        size=upload.size or 0,
        stored_name=stored_name,
    )
    _log("concern.attachment_added", actor, concern, name=attachment.original_name)
    return attachment


@transaction.atomic
def close_concern(
    actor: Any, concern: Concern, *, outcome: str, lessons_learnt: str, allegation_outcome: str = ""
) -> Concern:
    _require_manage(actor, concern)
    if concern.status == Status.CLOSED:
        raise ValidationError("This concern is already closed.")
    if concern.is_allegation and not allegation_outcome:
        raise ValidationError({"allegation_outcome": ["Choose the outcome of the allegation."]})
    _change_status(actor, concern, Status.CLOSED, outcome)
    concern.outcome, concern.lessons_learnt = outcome, lessons_learnt
    concern.allegation_outcome = allegation_outcome if concern.is_allegation else ""
    concern.save(update_fields=["status", "outcome", "lessons_learnt", "allegation_outcome"])
    _log("concern.closed", actor, concern, allegation_outcome=concern.allegation_outcome)
    return concern


@transaction.atomic
def reopen_concern(actor: Any, concern: Concern, *, reason: str) -> Concern:
    _require_manage(actor, concern)
    if concern.status != Status.CLOSED:
        raise ValidationError("Only a closed concern can be reopened.")
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the concern is being reopened."]})
    _change_status(actor, concern, Status.OPEN, reason)
    concern.save(update_fields=["status"])
    _log("concern.reopened", actor, concern, reason=reason)
    return concern


@transaction.atomic
def grant_reporter_view(actor: Any, concern: Concern, granted: bool) -> Concern:
    _require_manage(actor, concern)
    concern.reporter_sees_handling = granted
    concern.save(update_fields=["reporter_sees_handling"])
    _log("concern.reporter_access_changed", actor, concern, granted=granted)
    return concern
