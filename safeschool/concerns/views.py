from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for, has_capability, require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.concerns import access, services
from safeschool.concerns import forms as f
from safeschool.concerns.models import Action, Attachment, Category, Concern, PupilRole
from safeschool.core.forms import add_service_errors
from safeschool.core.rendering import render_school
from safeschool.people.access import search_pupils
from safeschool.people.models import Pupil

Step = tuple[type[forms.Form], Callable[[Any, Concern, dict[str, Any]], object], str]

STEPS: dict[str, Step] = {
    "triage": (f.TriageForm, lambda u, c, d: services.triage(u, c, **d), "Triaged."),
    "owner": (
        f.OwnerForm,
        lambda u, c, d: services.assign_owner(u, c, d["owner"]),
        "Case owner changed.",
    ),
    "action": (f.ActionForm, lambda u, c, d: services.add_action(u, c, **d), "Action added."),
    "decision": (
        f.DecisionForm,
        lambda u, c, d: services.record_decision(u, c, **d),
        "Decision recorded.",
    ),
    "referral": (f.ReferralForm, lambda u, c, d: services.refer(u, c, **d), "Referral recorded."),
    "parents": (
        f.ParentsForm,
        lambda u, c, d: services.record_parent_contact(u, c, **d),
        "Contact with parents or carers recorded.",
    ),
    "note": (f.NoteForm, lambda u, c, d: services.add_note(u, c, d["text"]), "Added."),
    "account": (
        f.AccountForm,
        lambda u, c, d: services.edit_account(u, c, **d),
        "The account has been updated; the earlier version is kept.",
    ),
    "attachment": (
        f.AttachmentForm,
        lambda u, c, d: services.add_attachment(u, c, d["file"]),
        "File attached.",
    ),
    "close": (f.CloseForm, lambda u, c, d: services.close_concern(u, c, **d), "Closed."),
    "reopen": (f.ReopenForm, lambda u, c, d: services.reopen_concern(u, c, **d), "Reopened."),
    "reporter-access": (
        f.ReporterAccessForm,
        lambda u, c, d: services.grant_reporter_view(u, c, d["granted"]),
        "Reporter's access changed.",
    ),
}
SCHOOL_FORMS = {f.TriageForm, f.OwnerForm, f.ActionForm}
REPORTER_STEPS = {"note", "account", "attachment"}


def _form(step: str, concern: Concern, data: Any = None, files: Any = None) -> forms.Form:
    form_class = STEPS[step][0]
    kwargs: dict[str, Any] = {"school": concern.school} if form_class in SCHOOL_FORMS else {}
    form = form_class(data, files, prefix=step, **kwargs)
    if step == "close" and not concern.is_allegation:
        del form.fields["allegation_outcome"]
    return form


@require_http_methods(["GET", "POST"])
def new_concern(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.CONCERNS_RECORD)
    form = f.ConcernForm(request.POST or None, request.FILES or None, school=school)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = services.record_concern(
                request.user,
                school,
                services.NewConcern(
                    category=data["category"],
                    concern_type=data["concern_type"],
                    account=data["account"],
                    urgent=data["urgent"],
                    pupils=form.pupils,
                    about_adult=data["about_adult"],
                    allegation_level=data["allegation_level"],
                    occurred_at=data["occurred_at"],
                    location=data["location"],
                    immediate_action=data["immediate_action"],
                    attachments=data["attachments"],
                ),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("concerns:recorded", slug=school.slug, concern_id=concern.pk)
    return render_school(
        request,
        school,
        "concerns/new.html",
        {
            "form": form,
            "chosen": form.pupils if form.is_bound else [],
            "roles": PupilRole.choices,
        },
    )


@require_GET
def recorded(request: HttpRequest, slug: str, concern_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    concern = access.get_concern_for(request.user, school, concern_id)
    return render_school(request, school, "concerns/recorded.html", {"concern": concern})


@require_GET
def pupil_search(request: HttpRequest, slug: str) -> HttpResponse:
    """Pupils matching the typed text, for the quick form (HTMX)."""
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.CONCERNS_RECORD)
    text = request.GET.get("q", "").strip()
    pupils = search_pupils(Pupil.objects.filter(school=school), text)[:10] if len(text) >= 2 else []
    return render(
        request, "concerns/_pupil_results.html", {"school": school, "pupils": pupils, "q": text}
    )


@require_GET
def pupil_row(request: HttpRequest, slug: str, pupil_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.CONCERNS_RECORD)
    pupil = get_object_or_404(Pupil, school=school, pk=pupil_id)
    return render(
        request,
        "concerns/_pupil_row.html",
        {"school": school, "pupil": pupil, "role": "", "roles": PupilRole.choices},
    )


@require_GET
def concern_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.CONCERNS_RECORD)
    concerns = access.visible_concerns(request.user, school).select_related("owner")
    status = request.GET.get("status", "")
    if status:
        concerns = concerns.filter(status=status)
    return render_school(
        request, school, "concerns/list.html", {"concerns": concerns[:200], "status": status}
    )


def _context(request: HttpRequest, concern: Concern) -> dict[str, Any]:
    user = request.user
    handling = access.can_see_handling(user, concern)
    manage = access.can_manage(user, concern)
    entries: list[Any] = []
    if handling:
        entries = sorted(
            chain(
                concern.action_set.select_related("assigned_to", "created_by"),
                concern.decision_set.select_related("created_by"),
                concern.referral_set.select_related("created_by"),
                concern.parentcontact_set.select_related("created_by"),
                concern.statuschange_set.select_related("created_by"),
                concern.note_set.select_related("created_by"),
            ),
            key=lambda e: e.created_at,
        )
    else:
        entries = list(concern.note_set.filter(created_by_id=user.pk))
    accounts = list(concern.accounts.select_related("written_by"))
    return {
        "concern": concern,
        "handling": handling,
        "manage": manage,
        "entries": entries,
        "account": accounts[-1] if accounts else None,
        "earlier_accounts": accounts[:-1] if handling else [],
        "pupil_links": concern.pupil_links.select_related("pupil"),
        "attachments": concern.attachment_set.all()
        if handling
        else concern.attachment_set.filter(created_by_id=user.pk),
        "is_reporter": concern.reporter_id == user.pk,
    }


@require_GET
def concern_detail(request: HttpRequest, slug: str, concern_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    concern = access.get_concern_for(request.user, school, concern_id)
    printing = request.GET.get("print") == "1"
    audit.record(
        "concern.printed" if printing else "concern.viewed",
        actor=request.user,
        school=school,
        subject=concern,
        request=request,
    )
    context = _context(request, concern)
    if context["manage"]:
        context["forms"] = {step: _form(step, concern) for step in STEPS}
    elif context["is_reporter"]:
        context["forms"] = {step: _form(step, concern) for step in REPORTER_STEPS}
    template = "concerns/print.html" if printing else "concerns/detail.html"
    return render_school(request, school, template, context)


@require_POST
def concern_step(request: HttpRequest, slug: str, concern_id: str, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("No such step.")
    school = get_school_for(request.user, slug)
    concern = access.get_concern_for(request.user, school, concern_id)
    reporter_may = step in REPORTER_STEPS and concern.reporter_id == request.user.pk
    if not (reporter_may or access.can_manage(request.user, concern)):
        raise PermissionDenied("Only the safeguarding team or the case manager can do this.")
    form = _form(step, concern, request.POST, request.FILES)
    if form.is_valid():
        try:
            STEPS[step][1](request.user, concern, form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, STEPS[step][2])
            return redirect("concerns:detail", slug=school.slug, concern_id=concern.pk)
    context = _context(request, concern)
    context["forms"] = {s: _form(s, concern) for s in STEPS}
    context["forms"][step] = form
    context["failed_step"] = step
    return render_school(request, school, "concerns/detail.html", context, status=400)


@require_POST
def action_done(request: HttpRequest, slug: str, concern_id: str, action_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    concern = access.get_concern_for(request.user, school, concern_id)
    action = get_object_or_404(Action, pk=action_id, concern=concern)
    services.complete_action(request.user, action)
    messages.success(request, "Action marked as done.")
    return redirect("concerns:detail", slug=school.slug, concern_id=concern.pk)


@require_GET
def attachment(request: HttpRequest, slug: str, concern_id: str, attachment_id: str) -> Any:
    school = get_school_for(request.user, slug)
    concern = access.get_concern_for(request.user, school, concern_id)
    found = get_object_or_404(Attachment, pk=attachment_id, concern=concern)
    if not (
        access.can_see_handling(request.user, concern) or found.created_by_id == request.user.pk
    ):
        raise Http404("No such file.")
    audit.record(
        "concern.attachment_downloaded",
        actor=request.user,
        school=school,
        subject=concern,
        data={"name": found.original_name},
        request=request,
    )
    path = Path(settings.MEDIA_ROOT) / "concerns" / found.stored_name
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type="application/octet-stream",
    )


@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    from safeschool.concerns.dashboard import dashboard_context

    school = get_school_for(request.user, slug)
    if not (
        has_capability(request.user, school, Capability.CONCERNS_MANAGE)
        or has_capability(request.user, school, Capability.ALLEGATIONS_MANAGE)
    ):
        raise PermissionDenied("The dashboard is for the safeguarding team.")
    return render_school(
        request, school, "concerns/dashboard.html", dashboard_context(request.user, school)
    )


@require_GET
def chronology(request: HttpRequest, slug: str, pupil_id: str) -> HttpResponse:
    from safeschool.concerns.chronology import chronology_for

    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.CONCERNS_READ_ALL)
    pupil = get_object_or_404(Pupil, school=school, pk=pupil_id)
    category = request.GET.get("category", "")
    printing = request.GET.get("print") == "1"
    audit.record(
        "chronology.printed" if printing else "chronology.viewed",
        actor=request.user,
        school=school,
        subject=pupil,
        data={"category": category},
        request=request,
    )
    rows = chronology_for(request.user, school, pupil, category)
    return render_school(
        request,
        school,
        "concerns/chronology.html",
        {
            "categories": Category.choices,
            "pupil": pupil,
            "rows": rows,
            "category": category,
            "printing": printing,
        },
    )
