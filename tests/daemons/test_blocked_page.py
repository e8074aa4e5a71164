"""The block page and the "this shouldn't be blocked" button."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from safeschool.audit.models import AuditEvent
from safeschool.filterlog import services
from safeschool.filterlog.models import UnblockRequest

pytestmark = pytest.mark.django_db
BLOCKED = "/blocked?url=http://games.test/play&category=games&rule=category&group=pupils"


def test_an_anonymous_child_sees_what_was_blocked_and_why() -> None:
    response = Client().get(BLOCKED)
    assert response.status_code == 200
    text = response.content.decode()
    assert "http://games.test/play" in text
    assert "games" in text
    assert "games are not allowed here at the moment" in text
    assert "This shouldn&#x27;t be blocked" in text or "This shouldn't be blocked" in text


def test_the_button_files_an_audited_unblock_request() -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(BLOCKED)
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/blocked",
        {
            "url": "http://games.test/play",
            "category": "games",
            "rule": "category",
            "group": "pupils",
            "reason": "It is for my maths homework",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    unblock = UnblockRequest.objects.get()
    assert (unblock.url, unblock.reason, unblock.status) == (
        "http://games.test/play",
        "It is for my maths homework",
        "open",
    )
    assert unblock.client == "127.0.0.1" and unblock.requested_by is None
    audit = AuditEvent.objects.get(action="unblock.requested")
    assert audit.subject_id == str(unblock.pk) and audit.data["url"] == "http://games.test/play"


def test_a_signed_in_pupil_or_teacher_is_recorded_as_the_requester(
    login_as: Callable[[str], Client],
) -> None:
    response = login_as("teacher").post("/blocked", {"url": "http://x.test/", "reason": ""})
    assert response.status_code == 200
    assert UnblockRequest.objects.get().requested_by is not None
    assert AuditEvent.objects.get(action="unblock.requested").actor_name == "teacher"


def test_the_post_needs_a_csrf_token() -> None:
    response = Client(enforce_csrf_checks=True).post("/blocked", {"url": "http://x.test/"})
    assert response.status_code == 403
    assert not UnblockRequest.objects.exists()


def test_a_request_without_a_url_is_refused() -> None:
    assert Client().post("/blocked", {"reason": "please"}).status_code == 400
    assert not UnblockRequest.objects.exists()


def test_wrong_method() -> None:
    assert Client().put("/blocked").status_code == 405


def test_illegal_content_offers_no_button() -> None:
    text = Client().get("/blocked?url=http://bad.test/&category=illegal&rule=illegal").content
    assert b"Nobody can unblock it" in text
    assert b"<form" not in text.split(b"<main")[1]


def test_one_device_cannot_flood_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "MAX_PER_HOUR", 2)
    client = Client()
    codes = [client.post("/blocked", {"url": f"http://x{n}.test/"}).status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert UnblockRequest.objects.count() == 2


def test_a_browser_sent_here_by_the_dns_filter_is_redirected_to_the_block_page(
    settings: object,
) -> None:
    """The DNS filter answered games.test with this server's address; the browser asks for it."""
    settings.SAFESCHOOL_BLOCK_URL = "http://filter.school.test/blocked"  # type: ignore[attr-defined]
    response = Client().get("/play?level=2", HTTP_HOST="games.test")
    assert response.status_code == 302
    assert response["Location"] == (
        "http://filter.school.test/blocked?url=http%3A%2F%2Fgames.test%2Fplay%3Flevel%3D2"
    )
    assert response["Cache-Control"] == "no-store"


def test_the_redirect_carries_the_logged_reason_for_this_device() -> None:
    from django.utils import timezone

    from safeschool.filterlog.models import FilterEvent

    for client, category in (("127.0.0.1", "games"), ("10.9.9.9", "adult")):
        FilterEvent.objects.create(
            event_id=f"dns:{client}",
            at=timezone.now(),
            source="dns",
            action="block",
            category=category,
            group="pupils",
            rule="category",
            client=client,
            host="games.test",
        )
    response = Client().get("/", HTTP_HOST="GAMES.test:80")
    location = response["Location"]
    assert "category=games&rule=category&group=pupils" in location
    page = Client().get(location.removeprefix("http://127.0.0.1:8000"))
    assert "games are not allowed here at the moment" in page.content.decode()


def test_other_methods_on_a_blocked_site_are_refused() -> None:
    response = Client().post("/login", {"password": "x"}, HTTP_HOST="games.test")
    assert response.status_code == 403
    assert "blocked by your school" in response.content.decode()


def test_this_sites_own_names_are_served_as_usual() -> None:
    assert Client().get(BLOCKED, HTTP_HOST="localhost").status_code == 200
