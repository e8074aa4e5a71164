"""Pages for filtering breaches involving a pupil. Thin: breaches.py does the work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for
from safeschool.audit import services as audit
from safeschool.core.forms import add_service_errors
from safeschool.core.rendering import render_school
from safeschool.filtering import breaches
from safeschool.filtering.forms_breaches import (
    BreachForm,
    CloseForm,
    ParentsForm,
    RaiseForm,
    ReportForm,
)
from safeschool.filtering.models import Breach
from safeschool.filterlog.models import FilterEvent
from safeschool.schools.models import School

Step = tuple[type[forms.Form], Callable[[Any, Breach, dict[str, Any]], object], str]

STEPS: dict[str, Step] = {
    "parents": (
        ParentsForm,
        lambda u, b, d: breaches.record_parents_informed(u, b, **d),
        "Contact with parents or carers recorded.",
    ),
    "report": (
        ReportForm,
        lambda u, b, d: breaches.record_external_report(u, b, **d),
        "The report is recorded.",
    ),
    "concern": (
        RaiseForm,
        lambda u, b, d: breaches.raise_as_concern(u, b, **d),
        "Raised as a concern.",
    ),
    "close": (CloseForm, lambda u, b, d: breaches.close(u, b, note=d["note"]), "Closed."),
}
PAGE_SIZE = 50


@require_GET
def breach_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    found = breaches.breaches_for(request.user, school)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_school(
        request,
        school,
        "filtering/breaches.html",
        {"page": page, "can_record": breaches.may_manage(request.user, school)},
    )


def _event(request: HttpRequest, school: School, event_id: Any) -> FilterEvent | None:
    """The blocked filter event asked for, if any; one that is not this school's is a 404."""
    if event_id in (None, ""):
        return None
    event = breaches.event_for(request.user, school, event_id)
    if event is None:
        raise Http404("No such blocked request in this school's filter log.")
    return event


def _initial(school: School, event: FilterEvent | None) -> dict[str, Any]:
    if event is None:
        return {}
    return breaches.details_from_event(school, event)


@require_http_methods(["GET", "POST"])
def breach_new(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    if not breaches.may_manage(request.user, school):
        raise PermissionDenied("Filtering breaches are recorded by the safeguarding team.")
    source = request.POST if request.method == "POST" else request.GET
    event = _event(request, school, source.get("event"))
    form = BreachForm(request.POST or None, initial=_initial(school, event), school=school)
    if request.method == "POST" and form.is_valid():
        try:
            breach = _record(request, school, form.cleaned_data, event)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The breach is recorded and the safeguarding team told.")
            return redirect("filtering:breach", slug=school.slug, breach_id=breach.pk)
    status = 400 if form.errors else 200
    context = {"form": form, "event": event}
    return render_school(request, school, "filtering/breach_new.html", context, status)


def _record(
    request: HttpRequest, school: School, data: dict[str, Any], event: FilterEvent | None
) -> Breach:
    return breaches.record_breach(
        request.user,
        school,
        breaches.NewBreach(
            what_happened=data["what_happened"],
            pupil=data["pupil"],
            occurred_at=data["occurred_at"],
            url=data["url"],
            category=data["category"],
            event=event,
            alert=breaches.alert_for_event(school, event) if event else None,
        ),
    )


def _forms(breach: Breach) -> dict[str, forms.Form]:
    return {
        "parents": ParentsForm(prefix="parents"),
        "report": ReportForm(prefix="report"),
        "concern": RaiseForm(prefix="concern", initial={"account": breaches.account_from(breach)}),
        "close": CloseForm(prefix="close"),
    }


def _detail(
    request: HttpRequest, school: School, breach: Breach, extra: dict[str, Any] | None = None
) -> HttpResponse:
    manage = breaches.may_manage(request.user, school) and breach.is_open
    context: dict[str, Any] = {
        "breach": breach,
        "manage": manage,
        "forms": _forms(breach) if manage else {},
        "failed_step": "",
    }
    context.update(extra or {})
    status = 400 if context["failed_step"] else 200
    return render_school(request, school, "filtering/breach.html", context, status)


@require_GET
def breach_detail(request: HttpRequest, slug: str, breach_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    breach = breaches.get_breach_for(request.user, school, breach_id)
    audit.record(
        "filtering.breach_viewed",
        actor=request.user,
        school=school,
        subject=breach,
        request=request,
    )
    return _detail(request, school, breach)


@require_POST
def breach_step(request: HttpRequest, slug: str, breach_id: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("No such step.")
    school = get_school_for(request.user, slug)
    breach = breaches.get_breach_for(request.user, school, breach_id)
    if not breaches.may_manage(request.user, school):
        raise PermissionDenied("Filtering breaches are handled by the safeguarding team.")
    if not breach.is_open:
        messages.error(request, "This breach is closed.")
        return redirect("filtering:breach", slug=school.slug, breach_id=breach.pk)
    form_class, action, done = STEPS[step]
    form = form_class(request.POST, prefix=step)
    if form.is_valid():
        try:
            action(request.user, breach, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("filtering:breach", slug=school.slug, breach_id=breach.pk)
    breach.refresh_from_db()
    forms_now = {**_forms(breach), step: form}
    return _detail(request, school, breach, {"forms": forms_now, "failed_step": step})
