from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from safeschool.audit.models import AuditEvent
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import KeyPerson, KeyRole, School


def test_school_page_shows_the_key_people_register(login_as: Callable[[str], Client]) -> None:
    body = login_as("teacher").get(reverse("schools:detail", args=["oakfield"])).content.decode()
    for expected in [
        "Designated safeguarding lead",
        "Helen Ashworth",
        "Deputy designated safeguarding lead",
        "Daniel Okafor",
        "Online safety lead",
        "Named governor for online safety",
        "Alison Drummond",
        "Network manager",
        "Ravi Chauhan",
    ]:
        assert expected in body
    assert "Add an appointment" not in body, "a teacher cannot change the register"


def test_riverside_dsl_gets_404_on_every_oakfield_page(
    login_as: Callable[[str], Client], oakfield_pupil: Pupil
) -> None:
    client = login_as("riverside-dsl")
    for url in [
        reverse("schools:detail", args=["oakfield"]),
        reverse("people:pupils", args=["oakfield"]),
        reverse("people:pupil", args=["oakfield", oakfield_pupil.pk]),
        reverse("audit:log", args=["oakfield"]),
    ]:
        assert client.get(url).status_code == 404, url


def test_a_pupil_of_another_school_is_404_even_through_ones_own_school(
    login_as: Callable[[str], Client], riverside_pupil: Pupil
) -> None:
    url = reverse("people:pupil", args=["oakfield", riverside_pupil.pk])
    assert login_as("dsl").get(url).status_code == 404


def test_an_unknown_school_is_404_not_403(login_as: Callable[[str], Client]) -> None:
    assert login_as("dsl").get("/s/no-such-school/").status_code == 404


def test_dsl_appoints_a_key_person_and_it_is_audited(
    login_as: Callable[[str], Client], oakfield: School
) -> None:
    person = Adult.objects.filter(school=oakfield, user__isnull=True, kind="staff").first()
    assert person is not None
    response = login_as("dsl").post(
        reverse("schools:appoint", args=["oakfield"]),
        {
            "role": KeyRole.DEPUTY_DSL,
            "person": person.pk,
            "starts_on": "2026-09-01",
        },
    )
    assert response.status_code == 302
    appointment = KeyPerson.objects.get(school=oakfield, person=person)
    assert appointment.role == KeyRole.DEPUTY_DSL
    row = AuditEvent.objects.get(action="keyperson.appointed")
    assert row.actor_name == "dsl"
    assert row.subject_id == str(appointment.pk)


def test_appointment_form_says_what_is_wrong_and_saves_nothing(
    login_as: Callable[[str], Client], riverside: School
) -> None:
    outsider = Adult.objects.filter(school=riverside).first()
    assert outsider is not None
    before = KeyPerson.objects.count()
    response = login_as("head").post(
        reverse("schools:appoint", args=["oakfield"]),
        {
            "role": "not-a-role",
            "person": outsider.pk,
            "starts_on": "not a date",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "Select a valid choice" in body
    assert "Enter a valid date" in body
    assert KeyPerson.objects.count() == before
    assert not AuditEvent.objects.filter(action="keyperson.appointed").exists()


def test_teacher_may_not_appoint(login_as: Callable[[str], Client], oakfield: School) -> None:
    person = Adult.objects.filter(school=oakfield).first()
    assert person is not None
    response = login_as("teacher").post(
        reverse("schools:appoint", args=["oakfield"]),
        {
            "role": KeyRole.DSL,
            "person": person.pk,
            "starts_on": "2026-09-01",
        },
    )
    assert response.status_code == 403
    assert not KeyPerson.objects.filter(role=KeyRole.DSL, person=person).exists()


def test_ending_an_appointment_removes_it_from_the_current_register(
    login_as: Callable[[str], Client], oakfield: School
) -> None:
    appointment = KeyPerson.objects.get(school=oakfield, role=KeyRole.NETWORK_MANAGER)
    url = reverse("schools:end_appointment", args=["oakfield", appointment.pk])
    too_early = appointment.starts_on - datetime.timedelta(days=1)
    refused = login_as("dsl").post(url, {"ends_on": too_early.isoformat()})
    assert "cannot end before it starts" in refused.content.decode()
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    assert login_as("dsl").post(url, {"ends_on": yesterday.isoformat()}).status_code == 302
    assert (
        not KeyPerson.objects.filter(school=oakfield).current().filter(pk=appointment.pk).exists()
    )
    assert AuditEvent.objects.filter(action="keyperson.ended").count() == 1


@pytest.mark.parametrize("persona, sees_flags", [("dsl", True), ("teacher", False)])
def test_only_sensitive_readers_see_flags_and_carers(
    login_as: Callable[[str], Client], oakfield: School, persona: str, sees_flags: bool
) -> None:
    pupil = Pupil.objects.filter(school=oakfield, send=True).first()
    assert pupil is not None
    body = (
        login_as(persona).get(reverse("people:pupil", args=["oakfield", pupil.pk])).content.decode()
    )
    assert ("Parents and carers" in body) is sees_flags
    assert ("SEND" in body) is sees_flags


def test_pupil_search_finds_by_partial_name_and_htmx_gets_rows_only(
    login_as: Callable[[str], Client], oakfield_pupil: Pupil
) -> None:
    client = login_as("teacher")
    url = reverse("people:pupils", args=["oakfield"])
    fragment = oakfield_pupil.last_name[:4].lower()
    response = client.get(url, {"q": fragment}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert oakfield_pupil.last_name in body
    assert "<html" not in body
    nothing = client.get(url, {"q": "zzzzqqq"}).content.decode()
    assert "No pupils match" in nothing
