"""The annual filtering and monitoring review (DfE standard 2), and the reminder when it falls due.

The DSL or headteacher records the review; the governor, leaders and IT take part and are named
in it. Each review keeps the latest filtering check run as its evidence. See
docs/filtering-checks.md.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.accounts.permissions import has_capability, holders_of
from safeschool.accounts.roles import Capability, Role
from safeschool.audit import services as audit
from safeschool.filtering.checks import latest_run
from safeschool.filtering.models import AnnualReview, ReviewReminder
from safeschool.notifications.services import notify
from safeschool.schools.models import School

C = Capability
READ_CAPABILITIES = (C.FILTERING_READ, C.REPORTS_READ)
RECORD_CAPABILITIES = (C.FILTERING_APPROVE, C.KEY_PEOPLE_MANAGE)
REMIND_WITHIN = datetime.timedelta(days=30)
PARTICIPANTS = (
    ("leadership", "Leadership"),
    ("dsl", "The DSL"),
    ("it", "IT (network manager or IT provider)"),
    ("governor", "The governor responsible"),
)
REQUIRED_PARTICIPANTS = ("leadership", "dsl")
TEXT_FIELDS = ("what_was_checked", "results", "actions")


def _any(user: Any, school: School, capabilities: tuple[Capability, ...]) -> bool:
    return any(has_capability(user, school, cap) for cap in capabilities)


def may_read_reviews(user: Any, school: School) -> bool:
    """Everyone who sees filtering, and the governors and leaders who read reports."""
    return _any(user, school, READ_CAPABILITIES)


def may_record_review(user: Any, school: School) -> bool:
    """The headteacher (filtering:approve) and the DSL (keypeople:manage)."""
    return _any(user, school, RECORD_CAPABILITIES)


def one_year_after(day: datetime.date) -> datetime.date:
    """The same date next year (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def validate(fields: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """The review's fields, checked; raises ValidationError naming each field at fault."""
    errors: dict[str, list[str]] = {}
    review_date = fields["review_date"]
    if review_date > today:
        errors["review_date"] = ["The review date cannot be in the future."]
    for key, label in PARTICIPANTS:
        took_part = fields.get(f"{key}_took_part")
        if key in REQUIRED_PARTICIPANTS and not took_part:
            errors[f"{key}_took_part"] = [f"{label} must take part in the review."]
        if took_part and not str(fields.get(f"{key}_names", "")).strip():
            errors[f"{key}_names"] = [f"Name who took part for {label.lower()}."]
    for name in TEXT_FIELDS:
        if not str(fields.get(name, "")).strip():
            errors[name] = ["This is needed for the record."]
    due = fields.get("next_review_due") or one_year_after(review_date)
    if due <= review_date or due > one_year_after(review_date):
        errors["next_review_due"] = ["The next review must be due within a year of this one."]
    if errors:
        raise ValidationError(errors)
    return {**fields, "next_review_due": due}


@transaction.atomic
def record_review(actor: Any, school: School, fields: dict[str, Any]) -> AnnualReview:
    """Keep a review with the latest check run attached (audited: filtering.review_recorded)."""
    if not may_record_review(actor, school):
        raise PermissionDenied("Recording the review needs filtering:approve or keypeople:manage.")
    fields = validate(fields, timezone.localdate())
    review = AnnualReview.objects.create(
        school=school, created_by=actor, check_run=latest_run(school), **fields
    )
    audit.record(
        "filtering.review_recorded",
        actor=actor,
        school=school,
        subject=review,
        data={
            "review_date": str(review.review_date),
            "next_review_due": str(review.next_review_due),
            "check_run": str(review.check_run_id) if review.check_run_id else None,
        },
    )
    return review


def latest_review(school: School) -> AnnualReview | None:
    return (
        AnnualReview.objects.filter(school=school).order_by("-review_date", "-created_at").first()
    )


def review_reminder(school: School, today: datetime.date | None = None) -> dict[str, Any] | None:
    """What the overview's reminder shows, or None when no review is due within 30 days."""
    today = today or timezone.localdate()
    latest = latest_review(school)
    if latest is None:
        return {"due": None, "never": True, "overdue": True, "days": None}
    due = latest.next_review_due
    if due - today > REMIND_WITHIN:
        return None
    return {"due": due, "never": False, "overdue": due < today, "days": (due - today).days}


def due_reviews(today: datetime.date | None = None) -> list[tuple[School, dict[str, Any]]]:
    """Every school whose review is due within 30 days, overdue, or never recorded."""
    found = []
    for school in School.objects.order_by("name"):
        reminder = review_reminder(school, today)
        if reminder is not None:
            found.append((school, reminder))
    return found


def reminder_recipients(school: School) -> list[User]:
    return list(holders_of(school, [Role.DSL, Role.HEADTEACHER]))


@transaction.atomic
def send_reminder(school: School, reminder: dict[str, Any]) -> bool:
    """Notify the DSL and headteacher, once per due date. True when sent now."""
    _, created = ReviewReminder.objects.get_or_create(school=school, due_on=reminder["due"])
    if not created:
        return False
    if reminder["never"]:
        text = "No annual filtering and monitoring review has been recorded yet."
    elif reminder["overdue"]:
        text = f"The annual filtering and monitoring review was due on {reminder['due']:%d %B %Y}."
    else:
        text = f"The annual filtering and monitoring review is due on {reminder['due']:%d %B %Y}."
    notify(
        reminder_recipients(school),
        school,
        message=text,
        subject="Filtering review due",
        url=reverse("filtering:reviews", kwargs={"slug": school.slug}),
        body=f"{text}\n\nSign in to SafeSchool to record it (Filtering, Annual review).",
    )
    audit.record(
        "filtering.review_reminder_sent",
        school=school,
        data={"due": str(reminder["due"]) if reminder["due"] else None},
    )
    return True


def send_review_reminders(today: datetime.date | None = None) -> int:
    """`safeschool review-reminders`: remind each school that is due; returns how many."""
    return sum(1 for school, reminder in due_reviews(today) if send_reminder(school, reminder))
