"""The block page and an unblock request's public status page, which anyone may see (a
blocked child may not be signed in); the unblock queue and the filter log, for staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When
from django.forms import Form
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for, has_capability
from safeschool.accounts.roles import Capability
from safeschool.core.forms import add_service_errors
from safeschool.core.rendering import render_school
from safeschool.filterlog import access, search, services, unblock
from safeschool.filterlog.forms import AllowForm, KeepForm, LogSearchForm, UnblockForm
from safeschool.filterlog.models import UnblockRequest
from safeschool.filterlog.words import category_label, explain, outcome
from safeschool.schools.models import School

_FIELDS = ("url", "category", "rule", "group")
PAGE_SIZE = 50


@login_not_required
@require_http_methods(["GET", "POST"])
def blocked(request: HttpRequest) -> HttpResponse:
    """What was blocked and why, with a "this shouldn't be blocked" button."""
    source = request.POST if request.method == "POST" else request.GET
    details = {key: source.get(key, "")[:4000] for key in _FIELDS}
    form = UnblockForm(request.POST or None, initial=details)
    sent = None
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.request_unblock(request, **form.cleaned_data)
        except PermissionDenied as refusal:
            form.add_error(None, str(refusal))
            status = 429
    elif request.method == "POST":
        status = 400
    context = {
        "details": details,
        "category": category_label(details["category"]) if details["category"] else "",
        "why": explain(details["category"], details["rule"]),
        "can_ask": details["rule"] != "illegal" and details["category"] != "illegal",
        "form": form,
        "sent": sent,
    }
    return render(request, "filterlog/blocked.html", context, status=status)


@login_not_required
@require_GET
def request_status(request: HttpRequest, request_id: str) -> HttpResponse:
    """What became of one request, in a child's words. The address is an unguessable UUID
    shown only to the person who asked; the page shows the outcome and nothing else."""
    found = get_object_or_404(UnblockRequest, pk=request_id)
    return render(request, "filterlog/request_status.html", {"outcome": outcome(found)})


@require_GET
def unblock_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """The school's unblock requests, open ones first."""
    from safeschool.filtering.models import Change

    school = get_school_for(request.user, slug)
    waiting = Change.objects.filter(unblock_request=OuterRef("pk"), status="proposed")
    found = (
        access.requests_for(request.user, school)
        .annotate(
            waiting=Exists(waiting),
            open_first=Case(
                When(status=UnblockRequest.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("open_first", "-created_at")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render_school(request, school, "filterlog/unblock_queue.html", {"page": page})


def _detail(
    request: HttpRequest,
    school: School,
    found: UnblockRequest,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    entries = unblock.entry_choices(found)
    context: dict[str, Any] = {
        "unblock": found,
        "change": unblock.pending_change(found),
        "changes": found.changes.all(),
        "can_propose": has_capability(request.user, school, Capability.FILTERING_CHANGE),
        "allow_form": AllowForm(entries=entries, prefix="allow"),
        "keep_form": KeepForm(prefix="keep"),
        "failed": "",
    }
    context.update(forms or {})
    return render_school(request, school, "filterlog/unblock_request.html", context, status)


@require_GET
def unblock_request(request: HttpRequest, slug: str, request_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    found = access.get_request_for(request.user, school, request_id)
    return _detail(request, school, found)


@require_POST
def unblock_decide(request: HttpRequest, slug: str, request_id: str, decision: str) -> HttpResponse:
    if decision not in {"allow", "keep"}:
        raise Http404("No such decision.")
    school = get_school_for(request.user, slug)
    found = access.get_request_for(request.user, school, request_id)
    if decision == "allow":
        form: Form = AllowForm(request.POST, entries=unblock.entry_choices(found), prefix="allow")
    else:
        form = KeepForm(request.POST, prefix="keep")
    if form.is_valid():
        try:
            return _apply(request, school, found, decision, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
    name = "allow_form" if decision == "allow" else "keep_form"
    return _detail(request, school, found, {name: form, "failed": decision}, status=400)


def _apply(
    request: HttpRequest, school: School, found: UnblockRequest, decision: str, data: dict[str, Any]
) -> HttpResponse:
    if decision == "allow":
        change = unblock.propose_allow(request.user, school, found, **data)
        messages.success(request, "Proposed. The page is allowed once someone else approves it.")
        return redirect("filtering:change", slug=school.slug, change_id=change.pk)
    unblock.keep_blocked(request.user, school, found, **data)
    messages.success(request, "Kept blocked. The person who asked has been told.")
    return redirect("filterlog:unblock_queue", slug=school.slug)


@require_GET
def logs(request: HttpRequest, slug: str) -> HttpResponse:
    """Search the filter log; every search is audited."""
    school = get_school_for(request.user, slug)
    events = access.events_for(request.user, school)
    form = LogSearchForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    found = search.search(events, school, data) if valid else events.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    search.record_search(request.user, school, {**data, "page": page.number}, request)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    status = 200 if valid else 400
    return render_school(request, school, "filterlog/logs.html", context, status=status)


@require_GET
def logs_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The current search as CSV, streamed; the export and its row count are audited."""
    school = get_school_for(request.user, slug)
    events = access.events_for(request.user, school)
    form = LogSearchForm(request.GET)
    if not form.is_valid():
        return logs(request, slug)
    found = search.search(events, school, form.cleaned_data)
    search.record_export(request.user, school, form.cleaned_data, found.count(), request)
    response = StreamingHttpResponse(
        search.csv_lines(found), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"filter-log-{school.slug}-{stamp}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
