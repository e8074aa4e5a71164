"""The safeguarding team's dashboard: what needs triage, who holds which case, what is due."""

from __future__ import annotations

import datetime
from itertools import groupby
from typing import Any

from django.utils import timezone

from safeschool.concerns.access import managed_concerns
from safeschool.concerns.models import Action, Status
from safeschool.schools.models import School

ACTIONS_AHEAD = datetime.timedelta(days=7)


def dashboard_context(user: Any, school: School) -> dict[str, Any]:
    managed = managed_concerns(user, school)
    now = timezone.now()
    untriaged = list(
        managed.filter(status=Status.NEW)
        .select_related("reporter")
        .order_by("-urgent", "recorded_at")
    )
    for concern in untriaged:
        concern.age = now - concern.recorded_at  # type: ignore[attr-defined]
    open_cases = (
        managed.filter(status=Status.OPEN)
        .select_related("owner")
        .order_by("owner__first_name", "owner__username", "recorded_at")
    )
    by_owner = [(owner, list(cases)) for owner, cases in groupby(open_cases, key=lambda c: c.owner)]
    actions = (
        Action.objects.filter(
            concern__in=managed,
            done_at__isnull=True,
            due_on__lte=timezone.localdate() + ACTIONS_AHEAD,
        )
        .select_related("concern", "assigned_to")
        .order_by("due_on")
    )
    return {
        "untriaged": untriaged,
        "overdue_count": sum(1 for c in untriaged if c.triage_overdue),
        "by_owner": by_owner,
        "actions": actions,
    }
