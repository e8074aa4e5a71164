from __future__ import annotations

import datetime
from collections import Counter

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for, require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.concerns.services import NewConcern
from safeschool.core.rendering import render_school
from safeschool.monitoring import services
from safeschool.monitoring.access import alerts_for, get_alert_for
from safeschool.monitoring.forms import RaiseForm, ReasonForm, TermChangeForm
from safeschool.monitoring.matching import effective_terms
from safeschool.monitoring.models import Alert, AlertStatus, TermChange

CONTEXT_AROUND = datetime.timedelta(minutes=5)


@require_GET
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    alerts = alerts_for(request.user, school)
    status = request.GET.get("status", AlertStatus.NEW)
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    alerts = alerts.order_by("-severity", "-last_at")
    page = Paginator(alerts, 50).get_page(request.GET.get("page"))
    return render_school(
        request,
        school,
        "monitoring/queue.html",
        {"page": page, "status": status, "statuses": AlertStatus.choices},
    )


def _surrounding(alert: Alert) -> list[object]:
    """The same person's or device's requests just before and after the episode."""
    from safeschool.filterlog.models import FilterEvent

    events = FilterEvent.objects.filter(
        school=alert.school,
        at__gte=alert.first_at - CONTEXT_AROUND,
        at__lte=alert.last_at + CONTEXT_AROUND,
    )
    if alert.username:
        events = events.filter(username=alert.username)
    elif alert.client:
        events = events.filter(client=alert.client)
    else:
        return []
    return list(events.order_by("at")[:100])


@require_GET
def detail(request: HttpRequest, slug: str, alert_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    alert = get_alert_for(request.user, school, alert_id)
    audit.record("alert.viewed", actor=request.user, school=school, subject=alert, request=request)
    return render_school(
        request,
        school,
        "monitoring/detail.html",
        {
            "alert": alert,
            "surrounding": _surrounding(alert),
            "reason_form": ReasonForm(),
            "raise_form": RaiseForm(alert=alert),
        },
    )


@require_POST
def triage(request: HttpRequest, slug: str, alert_id: str, outcome: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    alert = get_alert_for(request.user, school, alert_id)
    reason_form, raise_form = ReasonForm(request.POST), RaiseForm(request.POST, alert=alert)
    try:
        if outcome == "raise" and raise_form.is_valid():
            data = raise_form.cleaned_data
            concern = services.raise_as_concern(
                request.user,
                alert,
                NewConcern(
                    category=data["category"],
                    concern_type=data["concern_type"],
                    account=data["account"],
                    urgent=data["urgent"],
                    pupils=[(data["pupil"], data["role"])],
                ),
            )
            messages.success(request, f"Raised as concern {concern.reference}.")
            return redirect("concerns:detail", slug=school.slug, concern_id=concern.pk)
        if outcome in {"false-positive", "no-action"} and reason_form.is_valid():
            action = (
                services.mark_false_positive
                if outcome == "false-positive"
                else services.no_further_action
            )
            action(request.user, alert, reason_form.cleaned_data["reason"])
            messages.success(request, "Alert triaged.")
            return redirect("monitoring:queue", slug=school.slug)
    except ValidationError as error:
        target = raise_form if outcome == "raise" else reason_form
        for message in error.messages:
            target.add_error(None, message)
    return render_school(
        request,
        school,
        "monitoring/detail.html",
        {
            "alert": alert,
            "surrounding": _surrounding(alert),
            "reason_form": reason_form,
            "raise_form": raise_form,
            "failed": outcome,
        },
        status=400,
    )


@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.MONITORING_TRIAGE)
    form = TermChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_term(request.user, school, **form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name, errors)
        else:
            messages.success(request, "The term has been changed.")
            return redirect("monitoring:terms", slug=school.slug)
    false_positives = Counter(
        Alert.objects.filter(school=school, status=AlertStatus.FALSE_POSITIVE)
        .exclude(term="")
        .values_list("term", flat=True)
    )
    return render_school(
        request,
        school,
        "monitoring/terms.html",
        {
            "form": form,
            "changes": TermChange.objects.filter(school=school).select_related("changed_by")[:200],
            "false_positives": false_positives.most_common(30),
            "term_count": len(effective_terms(school)),
        },
    )
