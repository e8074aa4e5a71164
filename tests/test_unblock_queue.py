"""Unblock requests: from the block page into the technician's and safeguarding team's queue,
decided with a reason (or turned into a change that goes through change control), and the
person who asked told."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from safeschool.accounts.models import User
from safeschool.audit.models import AuditEvent
from safeschool.filtering import services as filtering
from safeschool.filtering.models import Change, FilterGroup
from safeschool.filterlog import unblock
from safeschool.filterlog.models import UnblockRequest, unblock_entry
from safeschool.notifications.models import Notification
from safeschool.schools.models import School

Login = Callable[[str], Client]


def user(name: str) -> User:
    return User.objects.get(username=name)


def told(name: str, found: UnblockRequest) -> Notification:
    """The notification the person got about this request."""
    url = reverse("filterlog:request_status", args=[found.pk])
    return Notification.objects.get(user=user(name), url=url)


def make_request(school: School | None, **fields: object) -> UnblockRequest:
    values: dict[str, object] = {
        "url": "http://maths-games.example/fractions?level=2",
        "category": "games",
        "rule": "category",
        "group": "ks2",
        "reason": "For our fractions lesson",
        "client": "10.11.0.9",
        "school": school,
        **fields,
    }
    return UnblockRequest.objects.create(**values)


def queue_url(school: str = "oakfield") -> str:
    return reverse("filterlog:unblock_queue", args=[school])


def detail_url(found: UnblockRequest, school: str = "oakfield") -> str:
    return reverse("filterlog:unblock_request", args=[school, found.pk])


def decide_url(found: UnblockRequest, decision: str, school: str = "oakfield") -> str:
    return reverse("filterlog:unblock_decide", args=[school, found.pk, decision])


ALLOW = {
    "allow-entry": "maths-games.example/fractions",
    "allow-reason": "Used in Year 4 maths",
    "allow-risk_assessment": "Educational games only, no chat",
}


# The queue


@pytest.mark.parametrize("persona", ["technician", "dsl", "deputy"])
def test_technician_and_safeguarding_team_see_the_queue(
    persona: str, oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield)
    response = login_as(persona).get(queue_url())
    assert response.status_code == 200
    assert str(found.pk) in response.content.decode()


@pytest.mark.parametrize("persona", ["teacher", "governor", "chair", "head"])
def test_others_may_not_see_the_queue(persona: str, oakfield: School, login_as: Login) -> None:
    make_request(oakfield)
    assert login_as(persona).get(queue_url()).status_code == 403


def test_open_requests_come_first(oakfield: School, login_as: Login) -> None:
    kept = make_request(oakfield, url="http://old-and-decided.example/", status="kept")
    waiting = make_request(oakfield, url="http://still-waiting.example/")
    kept.created_at = waiting.created_at.replace(year=waiting.created_at.year + 1)
    kept.save()
    page = login_as("technician").get(queue_url()).content.decode()
    assert page.index("still-waiting.example") < page.index("old-and-decided.example")


def test_another_schools_request_is_not_found(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    client = login_as("riverside-dsl")
    assert client.get(detail_url(found, "riverside")).status_code == 404
    assert client.get(detail_url(found)).status_code == 404
    assert "maths-games" not in client.get(queue_url("riverside")).content.decode()


def test_unattributed_requests_belong_to_the_school_the_node_serves(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(None)
    with override_settings(FILTER_SCHOOL="oakfield"):
        assert login_as("technician").get(detail_url(found)).status_code == 200
        assert login_as("riverside-dsl").get(detail_url(found, "riverside")).status_code == 404
    with override_settings(FILTER_SCHOOL=""):
        assert login_as("technician").get(detail_url(found)).status_code == 404


def test_the_block_page_files_the_request_under_the_node_school(oakfield: School) -> None:
    with override_settings(FILTER_SCHOOL="oakfield"):
        response = Client().post(
            reverse("filterlog:blocked"), {"url": "http://games.example/", "category": "games"}
        )
    found = UnblockRequest.objects.get(url="http://games.example/")
    assert found.school == oakfield
    status_url = reverse("filterlog:request_status", args=[found.pk])
    assert status_url in response.content.decode()


# Keeping a page blocked


def test_keeping_blocked_decides_at_once_and_tells_the_requester(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield, requested_by=user("teacher"))
    response = login_as("dsl").post(
        decide_url(found, "keep"),
        {"keep-reason": "Games site with open chat", "keep-reply": "Try the maths pages instead."},
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.KEPT
    assert found.decided_by == user("dsl") and found.decided_at is not None
    assert found.decision_reason == "Games site with open chat"
    note = told("teacher", found)
    assert note.school == oakfield and "kept blocked" in note.message
    row = AuditEvent.objects.get(action="unblock.kept", subject_id=str(found.pk))
    assert row.actor == user("dsl") and row.data["reason"] == "Games site with open chat"


def test_keeping_blocked_needs_a_reason(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    response = login_as("technician").post(decide_url(found, "keep"), {"keep-reason": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.OPEN


def test_deciding_needs_post(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    assert login_as("technician").get(decide_url(found, "keep")).status_code == 405


def test_an_unknown_decision_is_not_found(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    assert login_as("technician").post(decide_url(found, "maybe")).status_code == 404


def test_a_teacher_may_not_decide(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    response = login_as("teacher").post(decide_url(found, "keep"), {"keep-reason": "No"})
    assert response.status_code == 403
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.OPEN


def test_another_school_may_not_decide(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    client = login_as("riverside-dsl")
    assert (
        client.post(decide_url(found, "keep", "riverside"), {"keep-reason": "No"}).status_code
        == 404
    )
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.OPEN


def test_a_decided_request_cannot_be_decided_again(oakfield: School) -> None:
    found = make_request(oakfield)
    unblock.keep_blocked(user("dsl"), oakfield, found, reason="Not suitable")
    with pytest.raises(ValidationError, match="already been decided"):
        unblock.keep_blocked(user("technician"), oakfield, found, reason="Again")


# Allowing a page: through change control


def test_allowing_proposes_a_change_and_the_request_waits_for_it(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield)
    response = login_as("technician").post(decide_url(found, "allow"), ALLOW)
    change = Change.objects.get(unblock_request=found)
    assert response.status_code == 302
    assert response["Location"] == reverse("filtering:change", args=["oakfield", change.pk])
    assert change.kind == "allow" and change.status == Change.Status.PROPOSED
    assert change.group == FilterGroup.objects.get(school=oakfield, name="ks2")
    assert change.payload["entries"] == ["maths-games.example/fractions"]
    assert change.risk_assessment == "Educational games only, no chat"
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.OPEN
    page = login_as("dsl").get(detail_url(found)).content.decode()
    assert "Waiting for approval of change" in page
    assert AuditEvent.objects.filter(action="unblock.change_proposed", subject_id=str(found.pk))


def test_allowing_needs_a_reason_and_a_risk_assessment(oakfield: School, login_as: Login) -> None:
    found = make_request(oakfield)
    response = login_as("technician").post(
        decide_url(found, "allow"), {**ALLOW, "allow-risk_assessment": ""}
    )
    assert response.status_code == 400
    assert not Change.objects.filter(unblock_request=found).exists()


def test_only_the_page_or_its_site_can_be_allowed_from_a_request(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield)
    response = login_as("technician").post(
        decide_url(found, "allow"), {**ALLOW, "allow-entry": "anything-else.example"}
    )
    assert response.status_code == 400
    assert not Change.objects.filter(unblock_request=found).exists()


def test_a_group_the_school_does_not_have_means_the_whole_school(oakfield: School) -> None:
    found = make_request(oakfield, group="no-such-group")
    change = unblock.propose_allow(
        user("technician"),
        oakfield,
        found,
        entry="maths-games.example",
        reason="Lesson",
        risk_assessment="Low",
    )
    assert change.group is None


def test_the_dsl_can_keep_blocked_but_not_propose_allowing(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield)
    client = login_as("dsl")
    assert "Propose allowing it" not in client.get(detail_url(found)).content.decode()
    assert client.post(decide_url(found, "allow"), ALLOW).status_code == 403
    assert not Change.objects.filter(unblock_request=found).exists()


def test_a_request_waiting_for_its_change_cannot_be_kept_blocked(oakfield: School) -> None:
    found = make_request(oakfield)
    unblock.propose_allow(
        user("technician"),
        oakfield,
        found,
        entry="maths-games.example",
        reason="Lesson",
        risk_assessment="Low",
    )
    with pytest.raises(ValidationError, match="waiting for approval"):
        unblock.keep_blocked(user("dsl"), oakfield, found, reason="No")


def test_an_approved_change_allows_the_request_and_tells_the_requester(
    oakfield: School, login_as: Login
) -> None:
    found = make_request(oakfield, requested_by=user("teacher"))
    login_as("technician").post(decide_url(found, "allow"), ALLOW)
    change = Change.objects.get(unblock_request=found)
    filtering.approve(user("head"), change, "Fine for maths")
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.ALLOWED
    assert found.decided_by == user("head")
    assert "Fine for maths" in found.decision_reason
    assert "unblocked" in told("teacher", found).message
    assert AuditEvent.objects.filter(action="unblock.allowed", subject_id=str(found.pk)).exists()
    status = Client().get(reverse("filterlog:request_status", args=[found.pk]))
    assert "Unblocked" in status.content.decode()


def test_a_rejected_change_keeps_the_page_blocked(oakfield: School) -> None:
    found = make_request(oakfield, requested_by=user("deputy"))
    change = unblock.propose_allow(
        user("technician"),
        oakfield,
        found,
        entry="maths-games.example",
        reason="Lesson",
        risk_assessment="Low",
    )
    filtering.reject(user("head"), change, "The site has adverts for gambling")
    found.refresh_from_db()
    assert found.status == UnblockRequest.Status.KEPT
    assert "kept blocked" in told("deputy", found).message
    assert AuditEvent.objects.filter(action="unblock.kept", subject_id=str(found.pk)).exists()


# What the person who asked can see


def test_the_status_page_shows_the_outcome_and_nothing_else(oakfield: School) -> None:
    found = make_request(
        oakfield, reason="My name is Sam and I need it", requested_by=user("deputy")
    )
    unblock.keep_blocked(
        user("dsl"), oakfield, found, reason="Internal: chat site", reply="Use BBC Bitesize."
    )
    page = Client().get(reverse("filterlog:request_status", args=[found.pk])).content.decode()
    assert "Kept blocked" in page and "Use BBC Bitesize." in page
    for private in ["maths-games", "Sam", "Internal", "deputy", "10.11.0.9", "dsl"]:
        assert private not in page


def test_the_status_page_explains_in_a_childs_words_without_a_reply(oakfield: School) -> None:
    found = make_request(oakfield, category="gambling")
    unblock.keep_blocked(user("dsl"), oakfield, found, reason="Gambling")
    page = Client().get(reverse("filterlog:request_status", args=[found.pk])).content.decode()
    assert "betting money" in page


def test_an_open_request_says_it_is_waiting(oakfield: School) -> None:
    found = make_request(oakfield)
    page = Client().get(reverse("filterlog:request_status", args=[found.pk])).content.decode()
    assert "Waiting to be checked" in page


def test_an_unknown_reference_is_not_found(db: None) -> None:
    url = reverse("filterlog:request_status", args=["00000000-0000-4000-8000-000000000000"])
    assert Client().get(url).status_code == 404


def test_the_status_page_needs_get(oakfield: School) -> None:
    found = make_request(oakfield)
    url = reverse("filterlog:request_status", args=[found.pk])
    assert Client().post(url).status_code == 405


@pytest.mark.parametrize(
    ("url", "entry"),
    [
        ("https://www.Example.com/a/b/?x=1#top", "www.example.com/a/b"),
        ("http://user@example.com:8080/", "example.com"),
        ("example.org", "example.org"),
    ],
)
def test_the_entry_a_request_would_allow(url: str, entry: str) -> None:
    assert unblock_entry(url) == entry
