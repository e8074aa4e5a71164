from __future__ import annotations

import datetime

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from safeschool.accounts.models import User
from safeschool.accounts.permissions import get_school_for, require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.audit.models import AuditEvent
from safeschool.core.rendering import render_school
from safeschool.schools.models import School

PAGE_SIZE = 50


class AuditSearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        help_text="Part of an action, a person's user name or a record's name",
    )
    action = forms.CharField(
        label="Action starts with",
        required=False,
        help_text="For example concern. or user.logged_in",
    )
    since = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if isinstance(since, datetime.date) and isinstance(until, datetime.date) and since > until:
            raise forms.ValidationError("The 'From' date must not be after the 'To' date.")
        return data


def events_for_school(school: School) -> QuerySet[AuditEvent]:
    """The school's own rows, plus its members' log-ins and other rows tied to no school."""
    member_ids = User.objects.filter(memberships__school=school).values("pk")
    member_id_strings = [str(pk) for pk in member_ids.values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(school=school)
        | Q(school__isnull=True, actor__in=member_ids)
        | Q(school__isnull=True, subject_type="accounts.user", subject_id__in=member_id_strings)
    )


def search(events: QuerySet[AuditEvent], data: dict[str, object]) -> QuerySet[AuditEvent]:
    text = str(data.get("q") or "").strip()
    if text:
        events = events.filter(
            Q(action__icontains=text)
            | Q(actor_name__icontains=text)
            | Q(subject_label__icontains=text)
        )
    if data.get("action"):
        events = events.filter(action__startswith=str(data["action"]).strip())
    if isinstance(data.get("since"), datetime.date):
        events = events.filter(at__date__gte=data["since"])
    if isinstance(data.get("until"), datetime.date):
        events = events.filter(at__date__lte=data["until"])
    return events


@require_GET
def audit_log(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.AUDIT_READ)
    form = AuditSearchForm(request.GET or None)
    events = events_for_school(school)
    if form.is_bound and form.is_valid():
        events = search(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events.select_related("school"), PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(
        "audit.searched",
        actor=request.user,
        school=school,
        data={k: str(v) for k, v in request.GET.items() if k != "page"},
        request=request,
    )
    template = "audit/_rows.html" if request.headers.get("HX-Request") else "audit/log.html"
    return render_school(request, school, template, {"form": form, "page": page})
