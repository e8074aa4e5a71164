from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.audit.models import AuditEvent
from safeschool.concerns import services
from safeschool.concerns.models import Concern, ConcernPupil, Status
from safeschool.concerns.uploads import NUDES_REFUSAL
from safeschool.notifications.models import Notification
from safeschool.people.models import Pupil
from safeschool.schools.models import School

Login = Callable[[str], Client]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def _form(pupils: list[tuple[Pupil, str]], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "conduct",
        "concern_type": "online_bullying",
        "account": 'She said "they keep posting about me".',
        "location": "Playground",
        "pupil": [str(p.pk) for p, _ in pupils],
        **{f"role_{p.pk}": role for p, role in pupils},
    }
    data.update(extra)
    return data


@pytest.fixture
def three_pupils(oakfield: School) -> list[Pupil]:
    return list(Pupil.objects.filter(school=oakfield, year_group="4")[:3])


@pytest.fixture
def bullying(oakfield: School) -> Concern:
    return Concern.objects.get(school=oakfield, concern_type="online_bullying")


def _new(login_as: Login, pupils: list[tuple[Pupil, str]], **extra: Any) -> Any:
    return login_as("teacher").post(
        reverse("concerns:new", args=["oakfield"]), _form(pupils, **extra)
    )


def test_each_pupil_keeps_their_own_role(login_as: Login, three_pupils: list[Pupil]) -> None:
    victim, perpetrator, witness = three_pupils
    response = _new(
        login_as, [(victim, "victim"), (perpetrator, "alleged_perpetrator"), (witness, "witness")]
    )
    assert response.status_code == 302
    concern = Concern.objects.get(pk=response.headers["Location"].split("/")[-3])
    roles = dict(ConcernPupil.objects.filter(concern=concern).values_list("pupil", "role"))
    assert roles == {
        victim.pk: "victim",
        perpetrator.pk: "alleged_perpetrator",
        witness.pk: "witness",
    }
    assert concern.reporter.username == "teacher"
    assert concern.status == Status.NEW


def test_bad_form_says_what_is_wrong_and_saves_nothing(
    login_as: Login, three_pupils: list[Pupil]
) -> None:
    before = (Concern.objects.count(), AuditEvent.objects.filter(action="concern.created").count())
    no_pupils = _new(login_as, [], account="")
    body = no_pupils.content.decode()
    assert "There is a problem" in body
    assert "Add at least one pupil" in body
    no_role = _new(login_as, [(three_pupils[0], "")])
    assert "Choose a role for" in no_role.content.decode()
    assert (
        Concern.objects.count(),
        AuditEvent.objects.filter(action="concern.created").count(),
    ) == before


def test_a_pupil_from_another_school_is_refused(login_as: Login, riverside_pupil: Pupil) -> None:
    before = Concern.objects.count()
    response = _new(login_as, [(riverside_pupil, "victim")])
    assert "not at this school" in response.content.decode()
    assert Concern.objects.count() == before


def test_safeguarding_team_and_nobody_else_is_alerted(
    login_as: Login, three_pupils: list[Pupil], django_capture_on_commit_callbacks: Any
) -> None:
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        _new(login_as, [(three_pupils[0], "subject")], urgent="on")
    alerted = set(Notification.objects.values_list("user__username", flat=True))
    assert alerted == {"dsl", "deputy"}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "deputy@oakfield.example",
        "dsl@oakfield.example",
    ]
    assert all(m.subject.startswith("URGENT: New safeguarding concern") for m in mail.outbox)
    assert all(three_pupils[0].last_name not in m.body for m in mail.outbox), "no names in mail"


def test_routine_concerns_do_not_say_urgent(
    login_as: Login, three_pupils: list[Pupil], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _new(login_as, [(three_pupils[0], "subject")])
    assert mail.outbox and not any("URGENT" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("photo.jpg", b"anything", "application/octet-stream"),
        ("notes.txt", JPEG, "text/plain"),
        ("clip", b"\x00\x00\x00\x18ftypmp42", "application/octet-stream"),
        ("file.bin", b"data", "image/png"),
    ],
)
def test_nudes_concern_refuses_any_image_and_says_why(
    login_as: Login, three_pupils: list[Pupil], name: str, content: bytes, content_type: str
) -> None:
    before = Concern.objects.count()
    upload = SimpleUploadedFile(name, content, content_type)
    response = _new(
        login_as, [(three_pupils[0], "victim")], concern_type="nudes", attachments=upload
    )
    assert "UKCIS" in response.content.decode()
    assert Concern.objects.count() == before


def test_nudes_concern_refuses_images_added_later_too(oakfield: School) -> None:
    concern = Concern.objects.get(school=oakfield, concern_type="nudes")
    dsl = User.objects.get(username="dsl")
    with pytest.raises(Exception, match="UKCIS"):
        services.add_attachment(
            dsl, concern, SimpleUploadedFile("x.png", b"\x89PNG....", "image/png")
        )
    text = services.add_attachment(
        dsl, concern, SimpleUploadedFile("minutes.txt", b"Strategy meeting minutes", "text/plain")
    )
    assert text.original_name == "minutes.txt"
    assert NUDES_REFUSAL.startswith("Images and videos cannot")


def test_attachments_are_private_and_each_download_is_audited(
    login_as: Login, bullying: Concern
) -> None:
    found = services.add_attachment(
        User.objects.get(username="dsl"),
        bullying,
        SimpleUploadedFile("s.txt", b"statement", "text/plain"),
    )
    url = reverse("concerns:attachment", args=["oakfield", bullying.pk, found.pk])
    response = login_as("deputy").get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"statement"  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert AuditEvent.objects.filter(
        action="concern.attachment_downloaded", actor_name="deputy"
    ).exists()
    assert login_as("governor").get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_viewing_and_printing_are_audited(login_as: Login, bullying: Concern) -> None:
    client = login_as("dsl")
    url = reverse("concerns:detail", args=["oakfield", bullying.pk])
    assert client.get(url).status_code == 200
    assert client.get(url, {"print": "1"}).status_code == 200
    actions = set(
        AuditEvent.objects.filter(subject_id=str(bullying.pk), actor_name="dsl").values_list(
            "action", flat=True
        )
    )
    assert {"concern.viewed", "concern.printed"} <= actions


def _step(client: Client, concern: Concern, step: str, data: dict[str, Any]) -> Any:
    url = reverse("concerns:step", args=["oakfield", concern.pk, step])
    return client.post(url, {f"{step}-{k}": v for k, v in data.items()})


def test_dsl_triages_acts_refers_and_closes(login_as: Login, bullying: Concern) -> None:
    dsl = login_as("dsl")
    deputy = User.objects.get(username="deputy")
    assert _step(dsl, bullying, "triage", {"owner": deputy.pk}).status_code == 302
    assert (
        _step(
            dsl,
            bullying,
            "action",
            {
                "description": "Speak to both families",
                "assigned_to": deputy.pk,
                "due_on": "2026-12-01",
            },
        ).status_code
        == 302
    )
    assert (
        _step(
            dsl,
            bullying,
            "decision",
            {"decision": "Not to refer", "reason": "Low level", "not_to_refer": "on"},
        ).status_code
        == 302
    )
    assert (
        _step(
            dsl,
            bullying,
            "referral",
            {"agency": "early_help", "referred_on": "2026-11-20", "reference": "EH-1"},
        ).status_code
        == 302
    )
    refused = _step(dsl, bullying, "parents", {"informed": "no"})
    assert refused.status_code == 400
    assert "Say why they were not informed" in refused.content.decode()
    assert (
        _step(
            dsl,
            bullying,
            "parents",
            {"informed": "yes", "informed_on": "2026-11-20", "who": "Both mothers"},
        ).status_code
        == 302
    )
    assert (
        _step(
            dsl, bullying, "close", {"outcome": "Resolved", "lessons_learnt": "Group chats in PSHE"}
        ).status_code
        == 302
    )
    bullying.refresh_from_db()
    assert (bullying.status, bullying.owner, bullying.lessons_learnt) == (
        Status.CLOSED,
        deputy,
        "Group chats in PSHE",
    )
    assert bullying.decision_set.get().not_to_refer is True
    logged = list(
        AuditEvent.objects.filter(subject_id=str(bullying.pk)).values_list("action", flat=True)
    )
    for expected in [
        "concern.triaged",
        "concern.action_added",
        "concern.decision_recorded",
        "concern.referred",
        "concern.parents_recorded",
        "concern.closed",
    ]:
        assert expected in logged
    assert _step(dsl, bullying, "reopen", {"reason": ""}).status_code == 400
    assert _step(dsl, bullying, "reopen", {"reason": "It started again"}).status_code == 302
    bullying.refresh_from_db()
    assert bullying.status == Status.OPEN
    assert bullying.statuschange_set.last().reason == "It started again"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "persona, status", [("teacher", 403), ("governor", 404), ("riverside-dsl", 404)]
)
def test_others_cannot_handle_a_concern(
    login_as: Login, bullying: Concern, persona: str, status: int
) -> None:
    before = AuditEvent.objects.count()
    response = _step(
        login_as(persona), bullying, "triage", {"owner": User.objects.get(username="dsl").pk}
    )
    assert response.status_code == status
    bullying.refresh_from_db()
    assert bullying.status == Status.NEW
    assert AuditEvent.objects.count() == before


def test_steps_need_post(login_as: Login, bullying: Concern) -> None:
    url = reverse("concerns:step", args=["oakfield", bullying.pk, "triage"])
    assert login_as("dsl").get(url).status_code == 405


def test_edited_account_keeps_earlier_versions_for_the_team(
    login_as: Login, bullying: Concern
) -> None:
    original = bullying.current_account.text  # type: ignore[union-attr]
    response = _step(
        login_as("teacher"),
        bullying,
        "account",
        {"text": "Corrected wording", "reason": "Wrong day given"},
    )
    assert response.status_code == 302
    assert list(bullying.accounts.values_list("version", flat=True)) == [1, 2]
    team_view = login_as("dsl").get(reverse("concerns:detail", args=["oakfield", bullying.pk]))
    assert "Corrected wording" in team_view.content.decode()
    assert original.split('"')[0][:20] in team_view.content.decode()
    assert "Earlier versions (1)" in team_view.content.decode()


def test_reporter_adds_information_but_sees_handling_only_when_granted(
    login_as: Login, oakfield: School
) -> None:
    concern = Concern.objects.get(school=oakfield, concern_type="nudes")
    teacher = login_as("teacher")
    url = reverse("concerns:detail", args=["oakfield", concern.pk])
    assert "Referral to" not in teacher.get(url).content.decode()
    assert (
        _step(teacher, concern, "note", {"text": "She told me more at lunch."}).status_code == 302
    )
    assert concern.note_set.get().from_reporter is True
    _step(login_as("dsl"), concern, "reporter-access", {"granted": "on"})
    assert "Referral to" in teacher.get(url).content.decode()


def test_dashboard_shows_untriaged_with_overdue_standing_out(
    login_as: Login, oakfield: School
) -> None:
    late = Concern.objects.get(school=oakfield, concern_type="online_bullying")
    Concern.objects.filter(pk=late.pk).update(
        recorded_at=timezone.now() - datetime.timedelta(days=2)
    )
    body = login_as("deputy").get(reverse("concerns:dashboard", args=["oakfield"])).content.decode()
    assert late.reference in body
    assert "Overdue" in body
    assert "Check in with him after the weekend" in body, "actions due are listed"


def test_chronology_is_in_time_order_filterable_and_audited(
    login_as: Login, oakfield: School
) -> None:
    concern = Concern.objects.get(school=oakfield, concern_type="grooming")
    pupil = concern.pupil_links.get().pupil
    client = login_as("dsl")
    url = reverse("concerns:chronology", args=["oakfield", pupil.pk])
    body = client.get(url).content.decode()
    first = body.index("Concern recorded")
    assert first < body.index("Referral to CEOP") < body.index("Check in with him")
    assert "Nothing is recorded" in client.get(url, {"category": "commerce"}).content.decode()
    client.get(url, {"print": "1"})
    assert set(
        AuditEvent.objects.filter(subject_id=str(pupil.pk)).values_list("action", flat=True)
    ) >= {"chronology.viewed", "chronology.printed"}


def test_dashboard_lists_urgent_concerns_first(login_as: Login, oakfield: School) -> None:
    body = login_as("dsl").get(reverse("concerns:dashboard", args=["oakfield"])).content.decode()
    untriaged = body.split("Open cases by owner")[0]
    urgent = Concern.objects.get(school=oakfield, urgent=True, status=Status.NEW)
    older = Concern.objects.get(school=oakfield, concern_type="online_bullying")
    assert untriaged.index(urgent.reference) < untriaged.index(older.reference)
