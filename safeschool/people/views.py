from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from safeschool.accounts.permissions import get_school_for, has_capability
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.core.rendering import render_school
from safeschool.people import access
from safeschool.people.models import AdultKind, SchoolClass, YearGroup

PAGE_SIZE = 50


@require_GET
def pupil_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    pupils = access.search_pupils(access.pupils_for(request.user, school), request.GET.get("q", ""))
    year = request.GET.get("year", "")
    if year in YearGroup.values:
        pupils = pupils.filter(year_group=year)
    page = Paginator(pupils, PAGE_SIZE).get_page(request.GET.get("page"))
    template = (
        "people/_pupil_rows.html" if request.headers.get("HX-Request") else "people/pupil_list.html"
    )
    years = [y for y in YearGroup if school.pupils.filter(year_group=y).exists()]
    return render_school(
        request,
        school,
        template,
        {"page": page, "q": request.GET.get("q", ""), "year": year, "years": years},
    )


@require_GET
def pupil_detail(request: HttpRequest, slug: str, pupil_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    pupil = access.get_pupil_for(request.user, school, pupil_id)
    sensitive = has_capability(request.user, school, Capability.PEOPLE_SENSITIVE)
    audit.record(
        "pupil.viewed",
        actor=request.user,
        school=school,
        subject=pupil,
        data={"sensitive": sensitive},
        request=request,
    )
    carers = pupil.carer_links.select_related("carer") if sensitive else []
    return render_school(
        request,
        school,
        "people/pupil_detail.html",
        {"pupil": pupil, "sensitive": sensitive, "carer_links": carers},
    )


@require_GET
def adult_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    adults = access.adults_for(request.user, school).filter(left_on__isnull=True)
    groups = [(kind.label, [a for a in adults if a.kind == kind]) for kind in AdultKind]
    return render_school(request, school, "people/adult_list.html", {"groups": groups})


@require_GET
def class_list(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    access.pupils_for(request.user, school)  # the permission check
    classes = (
        SchoolClass.objects.filter(school=school)
        .select_related("teacher")
        .annotate(pupil_count=Count("pupils"))
        .order_by("year_group", "name")
    )
    return render_school(request, school, "people/class_list.html", {"classes": classes})
