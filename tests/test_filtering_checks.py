"""The built-in filtering check: a real published snapshot, a real `safeschool dns` process."""

from __future__ import annotations

import datetime
import io
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.audit.models import AuditEvent
from safeschool.filtering.checks import run_checks, run_checks_command
from safeschool.filtering.checks_dns import block_addresses, classify, server_address
from safeschool.filtering.models import CheckRun, FilterGroup, GroupCategory, Schedule
from safeschool.filtering.snapshot import publish, snapshot_path
from safeschool.schools.models import School, Trust
from tests.daemons.conftest import RunningDns, start_dns, stop_process
from tests.daemons.fakedns import FakeUpstream


@pytest.fixture
def school(db: None) -> School:
    trust = Trust.objects.create(name="Checks Trust", slug="checks-trust")
    return School.objects.create(trust=trust, name="Checks Primary", slug="checks-primary")


def add_group(
    school: School, name: str, addresses: str, *categories: str, position: int = 0
) -> FilterGroup:
    group = FilterGroup.objects.create(
        school=school, name=name, label=name.title(), addresses=addresses, position=position
    )
    for category in categories:
        GroupCategory.objects.create(group=group, category=category)
    return group


def staff_and_pupils(school: School, *, staff_block_porn: bool = True) -> None:
    """Staff on 127.0.0.2, pupils on the rest of 127/8: both reachable over loopback."""
    add_group(
        school,
        "staff",
        "127.0.0.2/32",
        "gambling",
        *(["pornography"] if staff_block_porn else []),
        position=0,
    )
    add_group(
        school, "pupils", "127.0.0.0/8", "pornography", "gambling", "social_media", position=1
    )


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with FakeUpstream() as fake:
        yield fake


@pytest.fixture
def dns_for(upstream: FakeUpstream, tmp_path: Path) -> Iterator[Callable[[School], RunningDns]]:
    """Start a real DNS filter on the school's published snapshot; stopped after the test."""
    started: list[RunningDns] = []

    def start(school: School) -> RunningDns:
        running = start_dns(snapshot_path(school), f"127.0.0.1:{upstream.port}", tmp_path / "spool")
        started.append(running)
        return running

    yield start
    for running in started:
        stop_process(running.process)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_check_passes_when_the_policy_blocks_what_it_should(
    school: School, dns_for: Callable[[School], RunningDns]
) -> None:
    staff_and_pupils(school)
    publish(school, None)
    dns = dns_for(school)
    run = run_checks(school, dns_address=f"127.0.0.1:{dns.port}")
    results = list(run.results.all())
    assert run.passed, [
        (r.group_name, r.entry, r.via, r.got, r.detail) for r in results if not r.passed
    ]
    assert run.policy_version == 1 and run.finished_at is not None and run.run_by is None
    # staff: illegal, adult, gambling; pupils: illegal, adult, gambling, social media; ×2 ways
    assert len(results) == 14
    assert {r.via for r in results} == {"engine", "dns"}
    dns_adult = next(
        r for r in results if r.via == "dns" and r.kind == "adult" and r.group_name == "staff"
    )
    assert dns_adult.got.startswith("blocked") and "127.0.0.2, in this group" in dns_adult.detail


def test_the_adult_test_fails_when_a_group_does_not_block_pornography(
    school: School, dns_for: Callable[[School], RunningDns]
) -> None:
    staff_and_pupils(school, staff_block_porn=False)
    publish(school, None)
    dns = dns_for(school)
    run = run_checks(school, dns_address=f"127.0.0.1:{dns.port}")
    failed = {(r.group_name, r.kind, r.via) for r in run.results.filter(passed=False)}
    assert not run.passed
    assert failed == {("staff", "adult", "engine"), ("staff", "adult", "dns")}
    dns_adult = run.results.get(group_name="staff", kind="adult", via="dns")
    assert dns_adult.expected_block and dns_adult.got.startswith("not blocked: resolved to")


def test_the_illegal_layer_is_checked_for_every_group(school: School) -> None:
    staff_and_pupils(school)
    publish(school, None)
    run = run_checks(school, dns_address=f"127.0.0.1:{free_udp_port()}")
    illegal = run.results.filter(kind="illegal", via="engine")
    assert {r.group_name for r in illegal} == {"staff", "pupils"}
    assert all(r.passed and r.entry == "check-illegal.safeschool.invalid" for r in illegal)


def test_every_dns_check_fails_when_the_dns_filter_is_down(school: School) -> None:
    staff_and_pupils(school)
    publish(school, None)
    run = run_checks(school, dns_address=f"127.0.0.1:{free_udp_port()}")
    dns_results = list(run.results.filter(via="dns"))
    assert not run.passed
    assert dns_results and all(not r.passed for r in dns_results)
    assert all("DNS filter not answering" in r.detail for r in dns_results)
    assert all(r.passed for r in run.results.filter(via="engine"))


def test_a_run_with_no_published_policy_fails_with_a_clear_message(school: School) -> None:
    staff_and_pupils(school)
    run = run_checks(school, dns_address=f"127.0.0.1:{free_udp_port()}")
    assert not run.passed and not run.results.exists()
    assert "No policy has been published" in run.message


def test_a_group_added_since_publication_fails_on_the_engine(school: School) -> None:
    staff_and_pupils(school)
    publish(school, None)
    add_group(school, "guests", "10.9.0.0/16", "gambling", position=2)
    run = run_checks(school, dns_address=f"127.0.0.1:{free_udp_port()}")
    guests = run.results.filter(group_name="guests", via="engine")
    assert guests and all(
        not r.passed and "not in the published policy" in r.detail for r in guests
    )


def test_a_scheduled_category_is_checked_as_the_schedule_says_now(
    school: School, dns_for: Callable[[School], RunningDns]
) -> None:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).strftime("%a").lower()
    staff_and_pupils(school)
    lunch = Schedule.objects.create(
        school=school,
        name="lunch",
        days=tomorrow,
        start=datetime.time(0, 0),
        end=datetime.time(23, 59),
    )
    staff = FilterGroup.objects.get(school=school, name="staff")
    GroupCategory.objects.create(
        group=staff, category="social_media", when="within", schedule=lunch
    )
    publish(school, None)
    dns = dns_for(school)
    run = run_checks(school, dns_address=f"127.0.0.1:{dns.port}")
    social = run.results.filter(group_name="staff", category="social_media")
    assert run.passed
    assert {(r.via, r.expected_block, r.passed) for r in social} == {
        ("engine", False, True),
        ("dns", False, True),
    }
    assert "allowed now" in social.get(via="engine").detail


def test_a_group_outside_loopback_is_asked_from_this_machine_and_says_so(
    school: School, dns_for: Callable[[School], RunningDns]
) -> None:
    staff_and_pupils(school)
    add_group(school, "guests", "10.9.0.0/16", "pornography", "gambling", position=2)
    publish(school, None)
    dns = dns_for(school)
    run = run_checks(school, dns_address=f"127.0.0.1:{dns.port}")
    guests = run.results.get(group_name="guests", category="gambling", via="dns")
    assert run.passed
    assert "not in this group" in guests.detail and "unknown" in guests.detail
    engine = run.results.get(group_name="guests", category="gambling", via="engine")
    assert "10.9.0.1" in engine.detail


def test_running_the_checks_is_audited(school: School) -> None:
    staff_and_pupils(school)
    publish(school, None)
    run = run_checks(school, dns_address=f"127.0.0.1:{free_udp_port()}", via="cron")
    event = AuditEvent.objects.get(action="filtering.checks_run", subject_id=str(run.pk))
    assert event.school == school and event.actor is None
    assert event.data["outcome"] == "failed" and event.data["via"] == "cron"


def test_the_command_exits_0_when_all_pass_1_when_any_fail_2_for_no_school(
    school: School, dns_for: Callable[[School], RunningDns], settings: object
) -> None:
    out = io.StringIO()
    assert run_checks_command("no-such-school", out) == 2
    staff_and_pupils(school)
    publish(school, None)
    dns = dns_for(school)
    settings.DNS_LISTEN = f"127.0.0.1:{dns.port}"  # type: ignore[attr-defined]
    assert run_checks_command(school.slug, out) == 0
    assert CheckRun.objects.filter(school=school, via="cron").count() == 1
    settings.DNS_LISTEN = f"127.0.0.1:{free_udp_port()}"  # type: ignore[attr-defined]
    assert run_checks_command(school.slug, out) == 1
    assert "DNS filter not answering" in out.getvalue()


def test_the_management_command_exits_non_zero_when_a_check_fails(
    school: School, settings: object
) -> None:
    staff_and_pupils(school)
    publish(school, None)
    settings.DNS_LISTEN = f"127.0.0.1:{free_udp_port()}"  # type: ignore[attr-defined]
    with pytest.raises(SystemExit) as stopped:
        call_command("run_filter_checks", school=school.slug, stdout=io.StringIO())
    assert stopped.value.code == 1


def test_dns_answers_are_classified_by_the_block_address_and_the_soa() -> None:
    blocks = block_addresses("302:http://127.0.0.1:8000/blocked?url=%u")
    assert blocks == {"127.0.0.1"}
    header = bytes.fromhex("123481830001000000000000")  # NXDOMAIN, no SOA
    assert classify(header, blocks)[0] is True
    with_soa = bytes.fromhex("123481830001000000010000")
    assert classify(with_soa, blocks)[0] is False
    assert server_address("0.0.0.0:53") == ("127.0.0.1", 53)


# The pages -----------------------------------------------------------------------------------


@pytest.fixture
def oakfield_published(oakfield: School) -> School:
    publish(oakfield, None)
    return oakfield


def test_technician_runs_the_checks_from_the_page(
    oakfield_published: School, login_as: Callable[[str], Client], settings: object
) -> None:
    settings.DNS_LISTEN = f"127.0.0.1:{free_udp_port()}"  # type: ignore[attr-defined]
    client = login_as("technician")
    response = client.post(reverse("filtering:run_checks", kwargs={"slug": "oakfield"}))
    run = CheckRun.objects.filter(school=oakfield_published).latest("started_at")
    assert response.status_code == 302 and response["Location"].endswith(f"?run={run.pk}")
    assert run.run_by == User.objects.get(username="technician") and run.via == "web"
    assert AuditEvent.objects.filter(
        action="filtering.checks_run", subject_id=str(run.pk), actor__username="technician"
    ).exists()
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"DNS filter not answering" in page.content


@pytest.mark.parametrize(
    ("persona", "status"), [("teacher", 403), ("governor", 403), ("riverside-dsl", 404)]
)
def test_only_filtering_roles_at_the_school_may_run_checks(
    oakfield: School, login_as: Callable[[str], Client], persona: str, status: int
) -> None:
    url = reverse("filtering:run_checks", kwargs={"slug": "oakfield"})
    assert login_as(persona).post(url).status_code == status
    assert not CheckRun.objects.filter(school=oakfield).exists()


def test_running_checks_needs_a_post(login_as: Callable[[str], Client]) -> None:
    url = reverse("filtering:run_checks", kwargs={"slug": "oakfield"})
    assert login_as("technician").get(url).status_code == 405


def test_the_checks_page_shows_no_runs_yet_and_hides_the_button_from_readers(
    oakfield: School, login_as: Callable[[str], Client]
) -> None:
    url = reverse("filtering:checks", kwargs={"slug": "oakfield"})
    assert b"Run the checks now" in login_as("dsl").get(url).content
    page = login_as("deputy").get(url)
    assert page.status_code == 200 and b"No checks have been run yet" in page.content
