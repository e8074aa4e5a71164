"""Pages for the filtering checks and the annual review. Thin: services do the work."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeschool.accounts.permissions import get_school_for, require
from safeschool.accounts.roles import Capability
from safeschool.core.rendering import render_school
from safeschool.filtering import checks, reviews
from safeschool.filtering.forms_checks import ReviewForm
from safeschool.filtering.models import AnnualReview, CheckRun
from safeschool.schools.models import School


def _run_for(request: HttpRequest, school: School) -> CheckRun | None:
    """The run asked for with ?run=, else the latest; another school's run is not found."""
    wanted = request.GET.get("run")
    if not wanted:
        return checks.latest_run(school)
    try:
        return get_object_or_404(CheckRun, school=school, pk=wanted)
    except ValidationError:  # not a UUID
        return checks.latest_run(school)


@require_GET
def check_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.FILTERING_READ)
    run = _run_for(request, school)
    results = list(run.results.all()) if run else []
    passed, failed = checks.summary(results)
    return render_school(
        request,
        school,
        "filtering/checks.html",
        {
            "runs": CheckRun.objects.filter(school=school).select_related("run_by")[:50],
            "run": run,
            "results": sorted(results, key=lambda r: r.passed),
            "passed": passed,
            "failed": failed,
            "can_run": checks.may_run_checks(request.user, school),
        },
    )


@require_POST
def run_checks(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    if not checks.may_run_checks(request.user, school):
        raise PermissionDenied("Running filtering checks needs a filtering permission.")
    run = checks.run_checks(school, actor=request.user)
    if run.passed:
        messages.success(request, "Every check passed.")
    else:
        messages.error(request, run.message or "Some checks failed: see below.")
    return redirect(reverse("filtering:checks", kwargs={"slug": school.slug}) + f"?run={run.pk}")


def _require_read(request: HttpRequest, school: School) -> None:
    if not reviews.may_read_reviews(request.user, school):
        raise PermissionDenied("Reading reviews needs filtering:read or reports:read.")


@require_GET
def review_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    _require_read(request, school)
    return render_school(
        request,
        school,
        "filtering/reviews.html",
        {
            "reviews": AnnualReview.objects.filter(school=school).select_related("created_by"),
            "review_due": reviews.review_reminder(school),
            "can_record": reviews.may_record_review(request.user, school),
        },
    )


@require_http_methods(["GET", "POST"])
def review_new(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    if not reviews.may_record_review(request.user, school):
        raise PermissionDenied("Recording the review needs filtering:approve or keypeople:manage.")
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews.record_review(request.user, school, form.review_fields())
        except ValidationError as error:
            for name, errors in error.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, "The review is recorded.")
            return redirect("filtering:review", slug=school.slug, review_id=review.pk)
    return render_school(
        request,
        school,
        "filtering/review_new.html",
        {"form": form, "latest_run": checks.latest_run(school)},
    )


@require_GET
def review_detail(request: HttpRequest, slug: str, review_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    _require_read(request, school)
    review = get_object_or_404(
        AnnualReview.objects.select_related("check_run", "created_by"), school=school, pk=review_id
    )
    results = list(review.check_run.results.all()) if review.check_run else []
    passed, failed = checks.summary(results)
    return render_school(
        request,
        school,
        "filtering/review.html",
        {"review": review, "passed": passed, "failed": failed},
    )
