from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from safeschool.accounts.permissions import get_school_for, require, schools_for
from safeschool.accounts.roles import Capability
from safeschool.core.rendering import render_school
from safeschool.schools import services
from safeschool.schools.forms import AppointmentForm, EndAppointmentForm
from safeschool.schools.models import KeyPerson, KeyRole, School


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    schools = list(schools_for(request.user).select_related("trust"))
    if len(schools) == 1:
        return redirect("schools:detail", slug=schools[0].slug)
    return render(request, "schools/home.html", {"schools": schools})


def _register(school: School) -> list[KeyPerson]:
    """Current appointments in the order the policies list the roles."""
    current = KeyPerson.objects.filter(school=school).current().select_related("person")
    return sorted(current, key=lambda k: (k.role_order, k.starts_on))


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    past = (
        KeyPerson.objects.filter(school=school, ends_on__isnull=False)
        .exclude(pk__in=[k.pk for k in _register(school)])
        .select_related("person")[:20]
    )
    return render_school(
        request,
        school,
        "schools/detail.html",
        {"register": _register(school), "past": past, "key_roles": KeyRole},
    )


@require_http_methods(["GET", "POST"])
def appoint(request: HttpRequest, slug: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.KEY_PEOPLE_MANAGE)
    form = AppointmentForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        services.appoint_key_person(request.user, school, **form.cleaned_data)
        messages.success(request, "The key people register has been updated.")
        return redirect("schools:detail", slug=school.slug)
    return render_school(request, school, "schools/appoint.html", {"form": form})


@require_http_methods(["GET", "POST"])
def end_appointment(request: HttpRequest, slug: str, appointment_id: str) -> HttpResponse:
    school = get_school_for(request.user, slug)
    require(request.user, school, Capability.KEY_PEOPLE_MANAGE)
    appointment = get_object_or_404(KeyPerson, pk=appointment_id, school=school)
    form = EndAppointmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_appointment(request.user, school, appointment, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("ends_on", error)
        else:
            messages.success(request, f"{appointment} has been ended.")
            return redirect("schools:detail", slug=school.slug)
    return render_school(
        request,
        school,
        "schools/end_appointment.html",
        {"form": form, "appointment": appointment},
    )
