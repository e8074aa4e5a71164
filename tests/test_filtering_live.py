"""A published change reaches a running DNS filter and changes its answers; and the whole
round in Chromium: propose, approve, published."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import pytest

from safeschool.accounts.models import User
from safeschool.filtering import services, snapshot
from safeschool.filtering.models import Change, PolicyVersion
from safeschool.schools.models import School
from tests.browser_support import CHROMIUM, log_in
from tests.daemons.conftest import RunningDns, start_dns, stop_process
from tests.daemons.fakedns import FakeUpstream


def ask(server: RunningDns, name: str) -> list[str]:
    reply = dns.query.udp(
        dns.message.make_query(name, "A"), "127.0.0.1", port=server.port, timeout=5
    )
    return [item.to_text() for rrset in reply.answer for item in rrset]


@pytest.fixture
def oakfield_dns(oakfield: School, tmp_path: Path) -> Iterator[RunningDns]:
    """`safeschool dns` serving Oakfield's published policy; this machine is a KS2 device."""
    with FakeUpstream() as upstream:
        server = start_dns(
            snapshot.snapshot_path(oakfield), f"127.0.0.1:{upstream.port}", tmp_path / "spool"
        )
        try:
            yield server
        finally:
            stop_process(server.process)


def test_an_approved_change_changes_the_running_dns_filters_answers(
    oakfield: School, oakfield_dns: RunningDns
) -> None:
    before = ask(oakfield_dns, "homework-games.example")
    assert before and before[0].startswith("192.0.2."), "forwarded to the upstream at first"
    change = services.propose(
        User.objects.get(username="technician"),
        oakfield,
        kind="deny",
        payload={"entries": ["homework-games.example"]},
        reason="Distracting in lessons",
        risk_assessment="Games only; no educational content lost",
    )
    time.sleep(1.5)  # the filter looks for a new policy every second: nothing unapproved lands
    assert ask(oakfield_dns, "homework-games.example") == before
    services.approve(User.objects.get(username="head"), change)
    deadline = time.monotonic() + 30
    answer = before
    while time.monotonic() < deadline:
        answer = ask(oakfield_dns, "homework-games.example")
        if answer != before:
            break
        time.sleep(0.2)
    assert answer == ["127.0.0.1"], "now answered with the block page's address"


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_propose_approve_publish_in_chromium(browser: object, site: str) -> None:
    from playwright.sync_api import expect

    school = School.objects.get(slug="oakfield")
    versions = PolicyVersion.objects.filter(school=school).count()
    technician = browser.new_context().new_page()  # type: ignore[attr-defined]
    log_in(technician, site, "technician")
    technician.get_by_role("link", name="Filtering", exact=True).click()
    technician.get_by_role("link", name="Propose a change", exact=True).click()
    technician.get_by_label("What kind of change").select_option("deny")
    technician.get_by_label("Group").select_option(label="Key Stage 2")
    technician.get_by_label("Entries").fill("time-waster.example")
    technician.get_by_label("Reason").fill("Pupils are playing this in lessons.")
    technician.get_by_label("Risk assessment").fill("A game site; nothing educational lost.")
    technician.get_by_role("button", name="Propose change").click()
    expect(technician.get_by_role("status")).to_contain_text("once someone else approves it")
    expect(technician.get_by_role("button", name="Approve and publish")).to_have_count(0)

    head = browser.new_context().new_page()  # type: ignore[attr-defined]
    log_in(head, site, "head")
    head.get_by_role("link", name="Filtering", exact=True).click()
    head.get_by_role(
        "link", name="Add to the deny-list for Key Stage 2: time-waster.example"
    ).click()
    head.get_by_label("Comment").fill("Agreed.")
    head.get_by_role("button", name="Approve and publish").click()
    expect(head.locator(".lead")).to_contain_text(f"policy version {versions + 1}")
    change = Change.objects.get(school=school, payload__entries=["time-waster.example"])
    assert change.status == Change.Status.PUBLISHED
    decision = snapshot.build(school)
    assert (
        "time-waster.example" in next(g for g in decision["groups"] if g["name"] == "ks2")["deny"]
    )
