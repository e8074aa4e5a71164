from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for, require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.core.forms import add_service_errors
from safeschool.core.rendering import render_school
from safeschool.filtering import services, sources
from safeschool.filtering.forms import (
    DecisionForm,
    EmergencyForm,
    GroupSettingsForm,
    ProposalForm,
    ScheduleChangeForm,
    ScheduleForm,
    ScheduleRemoveForm,
    SourceForm,
)
from safeschool.filtering.illegal import illegal_layer_status
from safeschool.filtering.models import (
    BlocklistSource,
    Change,
    FilterGroup,
    ListEntry,
    PolicyVersion,
    Schedule,
)
from safeschool.filtering.reviews import review_reminder


@require_GET
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_READ)
    groups = FilterGroup.objects.filter(school=school).prefetch_related(
        "categories__schedule", "entries"
    )
    return render_school(
        request,
        school,
        "filtering/overview.html",
        {
            "groups": groups,
            "school_allow": ListEntry.objects.filter(school=school, group=None, kind="allow"),
            "school_deny": ListEntry.objects.filter(school=school, group=None, kind="deny"),
            "version": PolicyVersion.objects.filter(school=school).first(),
            "waiting": Change.objects.filter(
                school=school, status__in=[Change.Status.PROPOSED, Change.Status.EMERGENCY]
            ),
            "illegal": illegal_layer_status(),
            "schedules": [
                (schedule, services.schedule_users(schedule))
                for schedule in Schedule.objects.filter(school=school)
            ],
            "review_due": review_reminder(school),
        },
    )


@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_CHANGE)
    form = ProposalForm(request.POST or None, school=school, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        try:
            change = services.propose(
                request.user,
                school,
                kind=form.cleaned_data["kind"],
                group=form.cleaned_data["group"],
                payload=form.payload(),
                reason=form.cleaned_data["reason"],
                risk_assessment=form.cleaned_data["risk_assessment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Proposed. It takes effect once someone else approves it.")
            return redirect("filtering:change", slug=school.slug, change_id=change.pk)
    return render_school(request, school, "filtering/propose.html", {"form": form})


@require_http_methods(["GET", "POST"])
def group_settings(request: HttpRequest, slug: str, group_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_CHANGE)
    group = get_object_or_404(FilterGroup, school=school, pk=group_id)
    form = GroupSettingsForm(request.POST or None, instance=FilterGroup.objects.get(pk=group.pk))
    if request.method == "POST" and form.is_valid():
        changed = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.GROUP_FIELDS
        }
        try:
            change = services.propose(
                request.user,
                school,
                kind=Change.Kind.GROUP_SETTINGS,
                group=group,
                payload=changed,
                reason=form.cleaned_data["reason"],
                risk_assessment=form.cleaned_data["risk_assessment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Proposed. It takes effect once someone else approves it.")
            return redirect("filtering:change", slug=school.slug, change_id=change.pk)
    return render_school(
        request, school, "filtering/group_settings.html", {"form": form, "group": group}
    )


@require_http_methods(["GET", "POST"])
def emergency(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_EMERGENCY)
    form = EmergencyForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.emergency_block(
                request.user,
                school,
                entries=form.cleaned_data["entries"],
                group=form.cleaned_data["group"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Blocked now. The block is flagged until it is approved.")
            return redirect("filtering:change", slug=school.slug, change_id=change.pk)
    return render_school(request, school, "filtering/emergency.html", {"form": form})


@require_GET
def changes(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_READ)
    found = Change.objects.filter(school=school).select_related(
        "proposed_by", "decided_by", "version", "group"
    )
    return render_school(request, school, "filtering/changes.html", {"changes": found[:500]})


@require_GET
def change_detail(request: HttpRequest, slug: str, change_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_READ)
    change = get_object_or_404(Change, school=school, pk=change_id)
    return render_school(
        request,
        school,
        "filtering/change.html",
        {
            "change": change,
            "form": DecisionForm(),
            "can_decide": services.can_decide(request.user, change),
        },
    )


@require_POST
def decide(request: HttpRequest, slug: str, change_id: str, decision: str) -> HttpResponse:
    if decision not in {"approve", "reject"}:
        raise Http404("No such decision.")
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_APPROVE)
    change = get_object_or_404(Change, school=school, pk=change_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    try:
        if decision == "approve":
            services.approve(request.user, change, comment)
            messages.success(request, "Approved and published to the filters.")
        else:
            services.reject(request.user, change, comment)
            messages.success(request, "Rejected.")
    except ValidationError as error:
        add_service_errors(form, error)
        return render_school(
            request,
            school,
            "filtering/change.html",
            {"change": change, "form": form, "can_decide": True},
            status=400,
        )
    return redirect("filtering:change", slug=school.slug, change_id=change.pk)


@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_READ)
    form = SourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require(request.user, school, Capability.FILTERING_CHANGE)
        if form.is_valid():
            return _add_source(request, school, form)
    return render_school(
        request,
        school,
        "filtering/sources.html",
        {"form": form, "sources": BlocklistSource.objects.filter(school=school)},
    )


def _add_source(request: HttpRequest, school: Any, form: SourceForm) -> HttpResponse:
    source = form.save(commit=False)
    source.school, source.added_by = school, request.user
    source.save()
    audit.record(
        "filtering.source_added",
        actor=request.user,
        school=school,
        subject=source,
        data={"url": source.url, "category": source.category},
    )
    upload = form.cleaned_data.get("upload")
    ok = sources.refresh(source, upload.read() if upload else None)
    if ok:
        messages.success(
            request,
            f"{source.name}: {source.entry_count} entries. It is used "
            "from the next published version of the policy.",
        )
    else:
        messages.error(request, f"{source.name} could not be read: {source.last_error}")
    return redirect("filtering:sources", slug=school.slug)


@require_http_methods(["GET", "POST"])
def schedule_new(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_CHANGE)
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_schedule(request.user, school, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Schedule added. Use it in a proposed category change.")
            return redirect("filtering:overview", slug=school.slug)
    return render_school(request, school, "filtering/schedule_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def schedule_change(request: HttpRequest, slug: str, schedule_id: str) -> HttpResponse:
    """Propose new days or times for a schedule; they apply once someone else approves."""
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_CHANGE)
    schedule = get_object_or_404(Schedule, school=school, pk=schedule_id)
    form = ScheduleChangeForm(
        request.POST or None,
        initial={"days": schedule.day_list, "start": schedule.start, "end": schedule.end},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payload = {
            "schedule": schedule.name,
            "days": data["days"],
            "start": f"{data['start']:%H:%M}",
            "end": f"{data['end']:%H:%M}",
        }
        done = _propose_schedule(request, school, form, Change.Kind.SCHEDULE_CHANGE, payload)
        if done:
            return done
    return _schedule_page(request, "filtering/schedule_change.html", form, schedule)


@require_http_methods(["GET", "POST"])
def schedule_remove(request: HttpRequest, slug: str, schedule_id: str) -> HttpResponse:
    """Propose removing a schedule that no rule uses; it goes once someone else approves."""
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_CHANGE)
    schedule = get_object_or_404(Schedule, school=school, pk=schedule_id)
    form = ScheduleRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payload = {"schedule": schedule.name}
        done = _propose_schedule(request, school, form, Change.Kind.SCHEDULE_REMOVE, payload)
        if done:
            return done
    return _schedule_page(request, "filtering/schedule_remove.html", form, schedule)


def _propose_schedule(
    request: HttpRequest, school: Any, form: Any, kind: str, payload: dict[str, Any]
) -> HttpResponse | None:
    """Propose the change and go to it; or put the service's errors on the form (None)."""
    try:
        change = services.propose(
            request.user,
            school,
            kind=kind,
            payload=payload,
            reason=form.cleaned_data["reason"],
            risk_assessment=form.cleaned_data["risk_assessment"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    messages.success(request, "Proposed. It takes effect once someone else approves it.")
    return redirect("filtering:change", slug=school.slug, change_id=change.pk)


def _schedule_page(
    request: HttpRequest, template: str, form: Any, schedule: Schedule
) -> HttpResponse:
    users = services.schedule_users(schedule)
    return render_school(
        request,
        schedule.school,
        template,
        {
            "form": form,
            "schedule": schedule,
            "users": users,
            "in_use": services.in_use_message(schedule, users) if users else "",
        },
    )
