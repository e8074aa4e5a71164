"""Allegations about adults: seen only by the case managers, never by the person concerned."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from safeschool.accounts.models import User
from safeschool.concerns import access, services
from safeschool.concerns.models import Concern
from safeschool.notifications.models import Notification
from safeschool.people.models import Adult
from safeschool.schools.models import School

Login = Callable[[str], Client]
ALL = ["dsl", "deputy", "head", "teacher", "technician", "governor", "chair"]


def _record_about(reporter: str, username: str, school: School) -> Concern:
    adult = Adult.objects.get(school=school, user__username=username)
    return services.record_concern(
        User.objects.get(username=reporter),
        school,
        services.NewConcern(
            category="conduct",
            concern_type="staff_conduct",
            about_adult=adult,
            allegation_level="allegation",
            account="Invented allegation for the test.",
        ),
    )


def _who_sees(login_as: Login, concern: Concern) -> set[str]:
    url = reverse("concerns:detail", args=["oakfield", concern.pk])
    return {p for p in ALL if login_as(p).get(url).status_code == 200}


def test_allegation_about_staff_is_seen_by_head_dsl_and_reporter_only(
    login_as: Login, oakfield: School
) -> None:
    concern = _record_about("governor", "technician", oakfield)
    assert _who_sees(login_as, concern) == {"head", "dsl", "governor"}


def test_allegation_about_the_headteacher_goes_to_the_chair_and_dsl(
    login_as: Login, oakfield: School, django_capture_on_commit_callbacks: Any
) -> None:
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        concern = _record_about("teacher", "head", oakfield)
    assert concern.about_headteacher is True
    assert _who_sees(login_as, concern) == {"chair", "dsl", "teacher"}
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"chair", "dsl"}
    assert "head@oakfield.example" not in {m.to[0] for m in mail.outbox}


def test_allegation_about_the_dsl_is_hidden_from_the_dsl(login_as: Login, oakfield: School) -> None:
    concern = _record_about("teacher", "dsl", oakfield)
    assert "dsl" not in _who_sees(login_as, concern)
    assert "head" in _who_sees(login_as, concern)
    assert "dsl" not in {u.username for u in services.alert_recipients(concern)}
    listing = login_as("dsl").get(reverse("concerns:list", args=["oakfield"])).content.decode()
    assert concern.reference not in listing


def test_deputy_dsl_does_not_see_allegations(login_as: Login, oakfield: School) -> None:
    concern = _record_about("teacher", "technician", oakfield)
    dashboard = login_as("deputy").get(reverse("concerns:dashboard", args=["oakfield"]))
    assert concern.reference not in dashboard.content.decode()


def test_the_person_concerned_never_sees_it_even_as_case_manager(oakfield: School) -> None:
    concern = _record_about("teacher", "head", oakfield)
    head = User.objects.get(username="head")
    assert not access.visible_concerns(head, oakfield).filter(pk=concern.pk).exists()
    assert not access.managed_concerns(head, oakfield).filter(pk=concern.pk).exists()


def test_closing_an_allegation_needs_one_of_the_five_outcomes(oakfield: School) -> None:
    concern = _record_about("teacher", "technician", oakfield)
    head = User.objects.get(username="head")
    with pytest.raises(Exception, match="outcome of the allegation"):
        services.close_concern(head, concern, outcome="Investigated", lessons_learnt="")
    services.close_concern(
        head, concern, outcome="Investigated", lessons_learnt="", allegation_outcome="unfounded"
    )
    concern.refresh_from_db()
    assert concern.get_allegation_outcome_display() == "Unfounded"


def test_governors_see_no_individual_concern(login_as: Login, oakfield: School) -> None:
    client = login_as("governor")
    for concern in Concern.objects.filter(school=oakfield).exclude(reporter__username="governor"):
        url = reverse("concerns:detail", args=["oakfield", concern.pk])
        assert client.get(url).status_code == 404
