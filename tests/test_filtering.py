"""Filtering change control: propose, approve or reject, publish; emergency blocks; history;
the illegal-content layer; blocklist sources."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from safeschool.accounts.models import Membership, User
from safeschool.audit.models import AuditEvent
from safeschool.engine import load_policy
from safeschool.filtering import services, snapshot, sources
from safeschool.filtering.models import BlocklistSource, Change, FilterGroup, PolicyVersion
from safeschool.notifications.models import Notification
from safeschool.schools.models import School

Login = Callable[[str], Client]


def user(name: str) -> User:
    return User.objects.get(username=name)


def decide(school: School, url: str, client: str = "10.11.0.9", at: str | None = None) -> Any:
    import datetime

    when = datetime.datetime.fromisoformat(at) if at else None
    return load_policy(snapshot.snapshot_path(school)).decide(url, client, None, when)


@pytest.fixture
def ks2(oakfield: School) -> FilterGroup:
    return FilterGroup.objects.get(school=oakfield, name="ks2")


def _propose_allow(school: School, group: FilterGroup, entry: str) -> Change:
    return services.propose(
        user("technician"),
        school,
        kind="allow",
        group=group,
        payload={"entries": [entry]},
        reason="Needed for a lesson",
        risk_assessment="Educational site, low risk",
    )


def test_a_change_reaches_the_filters_only_once_someone_else_approves_it(
    oakfield: School, ks2: FilterGroup
) -> None:
    before = PolicyVersion.objects.filter(school=oakfield).count()
    change = _propose_allow(oakfield, ks2, "bet-now-demo.example")
    assert decide(oakfield, "http://bet-now-demo.example/").action == "block"
    assert PolicyVersion.objects.filter(school=oakfield).count() == before
    services.approve(user("head"), change, "Fine for this lesson")
    change.refresh_from_db()
    assert change.status == Change.Status.PUBLISHED and change.version is not None
    assert change.version.number == before + 1
    assert decide(oakfield, "http://bet-now-demo.example/").action == "allow"
    assert decide(oakfield, "http://bet-now-demo.example/", client="10.10.0.9").action == "block"
    actions = set(
        AuditEvent.objects.filter(subject_id=str(change.pk)).values_list("action", flat=True)
    )
    assert {"filtering.change_proposed", "filtering.change_approved"} <= actions


def test_the_proposer_can_never_approve_their_own_change(
    oakfield: School, ks2: FilterGroup
) -> None:
    Membership.objects.create(user=user("technician"), school=oakfield, role="headteacher")
    change = _propose_allow(oakfield, ks2, "bbc.co.uk")
    with pytest.raises(PermissionDenied, match="someone other"):
        services.approve(User.objects.get(username="technician"), change)
    change.refresh_from_db()
    assert change.status == Change.Status.PROPOSED


def test_a_rejection_needs_a_reason_and_publishes_nothing(
    oakfield: School, ks2: FilterGroup
) -> None:
    change = _propose_allow(oakfield, ks2, "bet-now-demo.example")
    with pytest.raises(ValidationError):
        services.reject(user("head"), change, "")
    before = PolicyVersion.objects.filter(school=oakfield).count()
    services.reject(user("head"), change, "Gambling is never needed for lessons")
    assert PolicyVersion.objects.filter(school=oakfield).count() == before
    assert decide(oakfield, "http://bet-now-demo.example/").action == "block"
    with pytest.raises(ValidationError):
        services.approve(user("head"), change)


def test_emergency_block_is_in_force_at_once_and_flagged_until_approved(
    oakfield: School, login_as: Login
) -> None:
    response = login_as("technician").post(
        reverse("filtering:emergency", args=["oakfield"]),
        {"entries": "harmful-hoax.example", "reason": "Hoax spreading in Year 6 today"},
    )
    assert response.status_code == 302
    change = Change.objects.get(school=oakfield, payload__entries=["harmful-hoax.example"])
    assert change.status == Change.Status.EMERGENCY
    assert decide(oakfield, "http://www.harmful-hoax.example/").action == "block"
    overview = login_as("head").get(reverse("filtering:overview", args=["oakfield"]))
    assert "harmful-hoax.example" in overview.content.decode()
    version = change.version
    services.approve(user("head"), change, "Right call")
    change.refresh_from_db()
    assert change.status == Change.Status.PUBLISHED and change.version == version


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"entries": ["not a domain"]}, "entries"),
        ({"entries": []}, "entries"),
        ({"entries": ["*.example"]}, "entries"),
    ],
)
def test_bad_proposals_say_what_is_wrong_and_save_nothing(
    oakfield: School, ks2: FilterGroup, payload: dict[str, Any], field: str
) -> None:
    before = Change.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.propose(
            user("technician"),
            oakfield,
            kind="deny",
            group=ks2,
            payload=payload,
            reason="r",
            risk_assessment="r",
        )
    assert field in caught.value.message_dict
    assert Change.objects.count() == before


def test_the_form_needs_a_reason_and_a_risk_assessment(login_as: Login, oakfield: School) -> None:
    before = Change.objects.count()
    response = login_as("technician").post(
        reverse("filtering:propose", args=["oakfield"]),
        {"kind": "deny", "entries": "games.example", "reason": "", "risk_assessment": ""},
    )
    body = response.content.decode()
    assert "There is a problem" in body and "Risk assessment" in body
    assert Change.objects.count() == before


@pytest.mark.parametrize(
    "persona, status", [("teacher", 403), ("governor", 403), ("riverside-dsl", 404)]
)
def test_others_cannot_propose(login_as: Login, persona: str, status: int) -> None:
    before = Change.objects.count()
    response = login_as(persona).post(
        reverse("filtering:propose", args=["oakfield"]),
        {"kind": "deny", "entries": "games.example", "reason": "x", "risk_assessment": "x"},
    )
    assert response.status_code == status
    assert Change.objects.count() == before


def test_head_approves_in_the_browser_form(login_as: Login, oakfield: School) -> None:
    change = Change.objects.get(school=oakfield, status="proposed")
    url = reverse("filtering:decide", args=["oakfield", change.pk, "approve"])
    assert login_as("technician").post(url).status_code == 403
    assert login_as("head").post(url, {"comment": "Agreed"}).status_code == 302
    change.refresh_from_db()
    assert change.status == "published"


def test_group_settings_change_gives_guests_no_access(login_as: Login, oakfield: School) -> None:
    staff = FilterGroup.objects.get(school=oakfield, name="staff")
    url = reverse("filtering:group_settings", args=["oakfield", staff.pk])
    form = {
        "addresses": staff.addresses,
        "usernames": staff.usernames,
        "default_action": "allow",
        "no_access": "on",
        "safe_search": "on",
        "youtube": "strict",
        "block_ip_urls": "on",
        "reason": "Test",
        "risk_assessment": "Test",
    }
    assert login_as("technician").post(url, form).status_code == 302
    change = Change.objects.get(school=oakfield, kind="group_settings")
    assert change.payload == {"no_access": True}
    services.approve(user("head"), change)
    assert decide(oakfield, "http://www.bbc.co.uk/", client="10.20.0.7").action == "block"


def test_history_command_prints_every_change_as_json_lines(oakfield: School) -> None:
    out = StringIO()
    call_command("filter", "history", "--school", "oakfield", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == Change.objects.filter(school=oakfield).count()
    first = rows[0]
    assert first["change"] == "Initial filtering policy"
    assert (first["proposer"], first["approver"], first["snapshot_version"]) == (
        "technician",
        "head",
        1,
    )
    assert {r["status"] for r in rows} >= {"published", "proposed", "emergency", "rejected"}


def test_nothing_in_the_school_overrides_the_illegal_layer(
    oakfield: School, ks2: FilterGroup, tmp_path: Path, login_as: Login
) -> None:
    (tmp_path / "domains").write_text("# operator list\nillegal-demo.example\nother.example\n")
    with override_settings(ILLEGAL_LAYER_DIR=tmp_path):
        change = _propose_allow(oakfield, ks2, "illegal-demo.example")
        services.approve(user("head"), change)
        assert decide(oakfield, "http://illegal-demo.example/").rule == "illegal"
        page = login_as("technician").get(reverse("filtering:overview", args=["oakfield"]))
    body = page.content.decode()
    assert "<strong>2</strong> entries" in body
    assert "illegal-demo.example" in body  # the allow-list entry the school asked for…
    assert "other.example" not in body, "…but never the list's contents"


def test_without_the_illegal_list_installed_the_page_says_so(
    login_as: Login, tmp_path: Path
) -> None:
    with override_settings(ILLEGAL_LAYER_DIR=tmp_path / "missing"):
        page = login_as("head").get(reverse("filtering:overview", args=["oakfield"]))
    assert "is not installed" in page.content.decode()


@pytest.fixture
def list_server() -> Iterator[dict[str, Any]]:
    """A local web server standing in for a blocklist provider."""
    state: dict[str, Any] = {"status": 200, "body": b"new-casino.example\nbet-more.example\n"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(state["status"])
            self.end_headers()
            self.wfile.write(state["body"])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/list.txt"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_a_source_that_fails_keeps_its_last_good_copy_and_tells_the_technician(
    oakfield: School, list_server: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    source = BlocklistSource.objects.create(
        school=oakfield,
        name="Provider gambling",
        url=list_server["url"],
        category="gambling",
        added_by=user("technician"),
    )
    assert sources.refresh(source) is True
    assert source.entry_count == 2 and source.detected_format == "domains"
    good = sources.source_file(source).read_bytes()
    list_server["status"] = 500
    with django_capture_on_commit_callbacks(execute=True):
        out = StringIO()
        with pytest.raises(SystemExit):
            call_command("filter", "fetch-sources", "--school", "oakfield", "--all", stdout=out)
    source.refresh_from_db()
    assert "FAILED, last good copy kept" in out.getvalue()
    assert source.last_error and sources.source_file(source).read_bytes() == good
    assert Notification.objects.filter(
        user__username="technician", message__contains="Provider gambling"
    ).exists()
    services.approve(
        user("head"),
        _propose_allow(
            oakfield, FilterGroup.objects.get(school=oakfield, name="staff"), "bbc.co.uk"
        ),
    )
    assert decide(oakfield, "http://new-casino.example/").category == "gambling"


def test_an_uploaded_list_in_hosts_format_is_detected(login_as: Login, oakfield: School) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("hosts.txt", b"0.0.0.0 spin-demo.example\n0.0.0.0 a.example\n")
    response = login_as("technician").post(
        reverse("filtering:sources", args=["oakfield"]),
        {
            "name": "Uploaded",
            "format": "auto",
            "category": "gambling",
            "refresh_hours": 24,
            "upload": upload,
        },
    )
    assert response.status_code == 302
    source = BlocklistSource.objects.get(school=oakfield, name="Uploaded")
    assert (source.detected_format, source.entry_count) == ("hosts", 2)
    empty = login_as("technician").post(
        reverse("filtering:sources", args=["oakfield"]),
        {"name": "Nothing", "format": "auto", "category": "gambling", "refresh_hours": 24},
    )
    assert "Give either a URL" in empty.content.decode()


def test_a_new_schedule_can_be_used_by_an_approved_change(
    login_as: Login, oakfield: School
) -> None:
    url = reverse("filtering:schedule_new", args=["oakfield"])
    bad = login_as("technician").post(
        url, {"name": "break", "days": ["mon"], "start": "11:00", "end": "10:45"}
    )
    assert "The end must be after the start" in bad.content.decode()
    ok = login_as("technician").post(
        url, {"name": "break", "days": ["mon", "tue"], "start": "10:30", "end": "10:45"}
    )
    assert ok.status_code == 302
    assert AuditEvent.objects.filter(action="filtering.schedule_added").exists()
    staff = FilterGroup.objects.get(school=oakfield, name="staff")
    change = services.propose(
        user("technician"),
        oakfield,
        kind="block_category",
        group=staff,
        payload={"category": "gaming", "when": "outside", "schedule": "break"},
        reason="Games at break only",
        risk_assessment="Staff only",
    )
    services.approve(user("head"), change)
    game = "http://" + snapshot.check_entry("gaming") + "/"
    monday = "2026-11-23T"
    assert decide(oakfield, game, "10.20.0.5", monday + "10:35").action == "allow"
    assert decide(oakfield, game, "10.20.0.5", monday + "14:00").action == "block"
    assert login_as("teacher").get(url).status_code == 403
