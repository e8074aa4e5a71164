"""Alerts are for the safeguarding team; nobody sees an alert about their own activity."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from safeschool.accounts.permissions import require
from safeschool.accounts.roles import Capability
from safeschool.monitoring.models import Alert
from safeschool.schools.models import School


def alerts_for(user: Any, school: School) -> QuerySet[Alert]:
    require(user, school, Capability.MONITORING_TRIAGE)
    return (
        Alert.objects.filter(school=school)
        .exclude(user_id=user.pk)
        .select_related("pupil", "user", "triaged_by", "concern")
    )


def get_alert_for(user: Any, school: School, alert_id: Any) -> Alert:
    return get_object_or_404(alerts_for(user, school), pk=alert_id)
