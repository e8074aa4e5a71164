"""Changing and removing a filtering schedule: proposed with a reason and a risk assessment,
approved by someone else (which publishes a new snapshot), or rejected; never by the proposer;
removal refused while a rule uses the schedule; audited and in the history."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from safeschool.accounts.models import Membership, User
from safeschool.audit.models import AuditEvent
from safeschool.engine import load_policy
from safeschool.filtering import services, snapshot
from safeschool.filtering.models import (
    Change,
    FilterGroup,
    GroupCategory,
    PolicyVersion,
    Schedule,
)
from safeschool.schools.models import School

Login = Callable[[str], Client]
STAFF_PC = "10.20.0.5"
MONDAY = "2026-11-23T"
SOCIAL = "http://" + snapshot.check_entry("social_media") + "/"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def user(name: str) -> User:
    return User.objects.get(username=name)


def published(school: School) -> dict[str, Any]:
    """The snapshot the filter daemons read, from where they read it."""
    path = Path(settings.DATA_DIR) / "policies" / f"{school.slug}.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def staff_decision(school: School, at: str) -> str:
    when = datetime.datetime.fromisoformat(MONDAY + at)
    policy = load_policy(snapshot.snapshot_path(school))
    return policy.decide(SOCIAL, STAFF_PC, None, when).action


@pytest.fixture
def lunch(oakfield: School) -> Schedule:
    return Schedule.objects.get(school=oakfield, name="lunch")


@pytest.fixture
def unused(oakfield: School) -> Schedule:
    """A schedule no rule uses, added (directly) by the technician."""
    return services.add_schedule(
        user("technician"),
        oakfield,
        name="after-school",
        days=["mon", "wed"],
        start=datetime.time(15, 30),
        end=datetime.time(17, 0),
    )


def change_url(schedule: Schedule) -> str:
    return reverse("filtering:schedule_change", args=[schedule.school.slug, schedule.pk])


def remove_url(schedule: Schedule) -> str:
    return reverse("filtering:schedule_remove", args=[schedule.school.slug, schedule.pk])


def decide_url(change: Change, decision: str) -> str:
    return reverse("filtering:decide", args=[change.school.slug, change.pk, decision])


def new_lunch(**overrides: Any) -> dict[str, Any]:
    form = {
        "days": WEEKDAYS,
        "start": "12:30",
        "end": "13:30",
        "reason": "Lunch moves half an hour later from next term.",
        "risk_assessment": "Staff only; the same length of time as before.",
    }
    return {**form, **overrides}


def propose_new_lunch(login_as: Login, lunch: Schedule) -> Change:
    response = login_as("technician").post(change_url(lunch), new_lunch())
    assert response.status_code == 302
    change = Change.objects.get(school=lunch.school, kind="schedule_change", status="proposed")
    assert response["Location"] == reverse("filtering:change", args=[lunch.school.slug, change.pk])
    return change


def test_a_new_lunchtime_reaches_the_filters_only_once_someone_else_approves_it(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    before = PolicyVersion.objects.filter(school=oakfield).count()
    change = propose_new_lunch(login_as, lunch)
    assert change.payload == {
        "schedule": "lunch",
        "schedule_id": str(lunch.pk),
        "was": {"days": WEEKDAYS, "start": "12:00", "end": "13:00"},
        "days": WEEKDAYS,
        "start": "12:30",
        "end": "13:30",
    }
    assert change.summary == (
        "Change the schedule lunch to weekdays 12:30–13:30 (was weekdays 12:00–13:00)"
    )
    # Proposed only: nothing has changed yet.
    lunch.refresh_from_db()
    assert (lunch.start, lunch.end) == (datetime.time(12), datetime.time(13))
    assert published(oakfield)["schedules"]["lunch"][0]["start"] == "12:00"
    assert PolicyVersion.objects.filter(school=oakfield).count() == before
    assert staff_decision(oakfield, "12:15") == "allow"

    assert login_as("head").post(decide_url(change, "approve"), {"comment": "Agreed"}).status_code
    change.refresh_from_db()
    assert change.status == Change.Status.PUBLISHED and change.decided_by == user("head")
    assert change.version is not None and change.version.number == before + 1
    lunch.refresh_from_db()
    assert (lunch.start, lunch.end) == (datetime.time(12, 30), datetime.time(13, 30))
    data = published(oakfield)
    assert data["schedules"]["lunch"] == [{"days": WEEKDAYS, "start": "12:30", "end": "13:30"}]
    assert data["name"].endswith(f"version {before + 1}")
    # Staff social media now follows the new lunchtime.
    assert staff_decision(oakfield, "12:15") == "block"
    assert staff_decision(oakfield, "13:15") == "allow"
    assert staff_decision(oakfield, "13:45") == "block"

    on_change = set(
        AuditEvent.objects.filter(subject_id=str(change.pk)).values_list("action", flat=True)
    )
    assert {"filtering.change_proposed", "filtering.change_approved"} <= on_change
    changed = AuditEvent.objects.get(action="filtering.schedule_changed", subject_id=str(lunch.pk))
    assert changed.actor == user("head")
    assert changed.data["was"]["start"] == "12:00" and changed.data["now"]["start"] == "12:30"


def test_a_schedule_change_is_in_the_history_page_and_command(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    change = services.approve(user("head"), propose_new_lunch(login_as, lunch), "Agreed")
    assert change.version is not None
    page = login_as("head").get(reverse("filtering:changes", args=["oakfield"]))
    assert "Change the schedule lunch to weekdays 12:30–13:30" in page.content.decode()
    out = StringIO()
    call_command("filter", "history", "--school", "oakfield", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    row = next(r for r in rows if r["id"] == str(change.pk))
    assert row["kind"] == "schedule_change"
    assert (row["proposer"], row["approver"], row["status"]) == ("technician", "head", "published")
    assert row["snapshot_version"] == change.version.number
    assert row["details"]["start"] == "12:30"
    assert row["risk_assessment"] == "Staff only; the same length of time as before."


def test_the_proposer_can_never_approve_their_own_schedule_change(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    change = propose_new_lunch(login_as, lunch)
    assert login_as("technician").post(decide_url(change, "approve")).status_code == 403
    # Even when the proposer also has approval rights.
    Membership.objects.create(user=user("technician"), school=oakfield, role="headteacher")
    with pytest.raises(PermissionDenied, match="someone other"):
        services.approve(user("technician"), change)
    page = login_as("technician").get(reverse("filtering:change", args=["oakfield", change.pk]))
    assert "Approve and publish" not in page.content.decode()
    change.refresh_from_db()
    lunch.refresh_from_db()
    assert change.status == Change.Status.PROPOSED
    assert lunch.start == datetime.time(12)


def test_a_rejected_schedule_change_leaves_the_schedule_as_it_was(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    change = propose_new_lunch(login_as, lunch)
    before = PolicyVersion.objects.filter(school=oakfield).count()
    snapshot_before = published(oakfield)
    no_reason = login_as("head").post(decide_url(change, "reject"), {"comment": ""})
    assert no_reason.status_code == 400
    assert "Say why the change is rejected" in no_reason.content.decode()
    response = login_as("head").post(
        decide_url(change, "reject"), {"comment": "Lunch is not moving after all."}
    )
    assert response.status_code == 302
    change.refresh_from_db()
    lunch.refresh_from_db()
    assert change.status == Change.Status.REJECTED
    assert (lunch.days, lunch.start, lunch.end) == (
        ",".join(WEEKDAYS),
        datetime.time(12),
        datetime.time(13),
    )
    assert PolicyVersion.objects.filter(school=oakfield).count() == before
    assert published(oakfield) == snapshot_before
    assert staff_decision(oakfield, "12:15") == "allow"
    assert AuditEvent.objects.filter(
        action="filtering.change_rejected", subject_id=str(change.pk)
    ).exists()
    assert not AuditEvent.objects.filter(action="filtering.schedule_changed").exists()


def test_a_schedule_a_rule_uses_cannot_be_removed_and_the_groups_are_named(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    before = Change.objects.count()
    page = login_as("technician").get(remove_url(lunch))
    body = page.content.decode()
    assert page.status_code == 200
    assert "cannot be removed while rules use it: Staff (Social media)" in body
    assert "Propose removal" not in body
    response = login_as("technician").post(
        remove_url(lunch), {"reason": "Not needed", "risk_assessment": "None"}
    )
    assert "cannot be removed while rules use it: Staff (Social media)" in (
        response.content.decode()
    )
    with pytest.raises(ValidationError, match="Staff"):
        services.propose(
            user("technician"),
            oakfield,
            kind="schedule_remove",
            payload={"schedule": "lunch"},
            reason="Not needed",
            risk_assessment="None",
        )
    assert Change.objects.count() == before
    assert Schedule.objects.filter(pk=lunch.pk).exists()


def test_an_unused_schedule_is_removed_once_someone_else_approves(
    login_as: Login, oakfield: School, unused: Schedule
) -> None:
    page = login_as("technician").get(remove_url(unused))
    assert "No rule uses this schedule" in page.content.decode()
    response = login_as("technician").post(
        remove_url(unused),
        {"reason": "The after-school club has ended.", "risk_assessment": "No rule uses it."},
    )
    assert response.status_code == 302
    change = Change.objects.get(school=oakfield, kind="schedule_remove")
    assert change.status == Change.Status.PROPOSED
    assert change.summary == "Remove the schedule after-school (Mon, Wed 15:30–17:00)"
    assert Schedule.objects.filter(pk=unused.pk).exists()

    with pytest.raises(PermissionDenied):
        services.approve(user("technician"), change)
    services.approve(user("head"), change, "Fine")
    change.refresh_from_db()
    assert change.status == Change.Status.PUBLISHED and change.version is not None
    assert not Schedule.objects.filter(pk=unused.pk).exists()
    data = published(oakfield)
    assert "after-school" not in data["schedules"] and "lunch" in data["schedules"]
    removed = AuditEvent.objects.get(action="filtering.schedule_removed")
    assert removed.subject_id == str(unused.pk) and removed.actor == user("head")
    assert removed.data["was"] == {"days": ["mon", "wed"], "start": "15:30", "end": "17:00"}
    # The name is now unknown to a proposal that would use it.
    proposal = login_as("technician").post(
        reverse("filtering:propose", args=["oakfield"]),
        {
            "kind": "block_category",
            "group": FilterGroup.objects.get(school=oakfield, name="staff").pk,
            "category": "gaming",
            "when": "outside",
            "schedule": "after-school",
            "reason": "r",
            "risk_assessment": "r",
        },
    )
    assert "Choose one of the school&#x27;s schedules" in proposal.content.decode()


def _block_gaming_outside(school: School, schedule: str) -> Change:
    return services.propose(
        user("technician"),
        school,
        kind="block_category",
        group=FilterGroup.objects.get(school=school, name="staff"),
        payload={"category": "gaming", "when": "outside", "schedule": schedule},
        reason="Games after school only",
        risk_assessment="Staff only",
    )


def _propose_removal(school: School, schedule: str) -> Change:
    return services.propose(
        user("technician"),
        school,
        kind="schedule_remove",
        payload={"schedule": schedule},
        reason="Not needed",
        risk_assessment="No rule uses it",
    )


def test_a_removal_is_refused_at_approval_if_a_rule_has_started_using_the_schedule(
    login_as: Login, oakfield: School, unused: Schedule
) -> None:
    removal = _propose_removal(oakfield, "after-school")
    services.approve(user("head"), _block_gaming_outside(oakfield, "after-school"))
    before = PolicyVersion.objects.filter(school=oakfield).count()
    response = login_as("head").post(decide_url(removal, "approve"))
    assert response.status_code == 400
    assert "rules use it: Staff (Online games)" in response.content.decode()
    removal.refresh_from_db()
    assert removal.status == Change.Status.PROPOSED
    assert Schedule.objects.filter(pk=unused.pk).exists()
    assert PolicyVersion.objects.filter(school=oakfield).count() == before


def test_a_category_change_using_a_removed_schedule_cannot_be_approved(
    oakfield: School, unused: Schedule
) -> None:
    block = _block_gaming_outside(oakfield, "after-school")
    services.approve(user("head"), _propose_removal(oakfield, "after-school"))
    with pytest.raises(ValidationError, match="no longer exists"):
        services.approve(user("head"), block)
    block.refresh_from_db()
    assert block.status == Change.Status.PROPOSED
    # Never a timed rule without its schedule (which would block at every hour).
    assert (
        not GroupCategory.objects.filter(group__school=oakfield, category="gaming")
        .filter(group__name="staff")
        .exists()
    )


def test_a_change_to_a_schedule_removed_since_it_was_proposed_cannot_be_approved(
    oakfield: School, unused: Schedule
) -> None:
    change = services.propose(
        user("technician"),
        oakfield,
        kind="schedule_change",
        payload={"schedule": "after-school", "days": ["mon"], "start": "15:00", "end": "16:00"},
        reason="r",
        risk_assessment="r",
    )
    services.approve(user("head"), _propose_removal(oakfield, "after-school"))
    with pytest.raises(ValidationError, match="has been removed since"):
        services.approve(user("head"), change)
    change.refresh_from_db()
    assert change.status == Change.Status.PROPOSED


@pytest.mark.parametrize(
    "form, message",
    [
        ({"start": "25:00"}, "Enter the start as a time of day, such as 12:00."),
        ({"end": "lunchtime"}, "Enter the end as a time of day, such as 13:00."),
        ({"start": ""}, "Enter the start time."),
        ({"start": "13:30", "end": "12:30"}, "The end must be after the start."),
        ({"start": "12:30", "end": "12:30"}, "The end must be after the start."),
        ({"days": []}, "Choose at least one day."),
        ({"days": ["mon", "funday"]}, "Select a valid choice."),
        ({"reason": ""}, "Say why the change is needed."),
        ({"risk_assessment": " "}, "Assess the risk of the change."),
        (
            {"start": "12:00", "end": "13:00"},
            "That is how the schedule is already: change its days or times.",
        ),
    ],
)
def test_the_change_form_says_what_is_wrong_and_changes_nothing(
    login_as: Login, oakfield: School, lunch: Schedule, form: dict[str, Any], message: str
) -> None:
    before = Change.objects.count()
    response = login_as("technician").post(change_url(lunch), new_lunch(**form))
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert message.replace("'", "&#x27;") in body
    assert Change.objects.count() == before
    lunch.refresh_from_db()
    assert (lunch.days, lunch.start, lunch.end) == (
        ",".join(WEEKDAYS),
        datetime.time(12),
        datetime.time(13),
    )


def test_the_remove_form_needs_a_reason_and_a_risk_assessment(
    login_as: Login, oakfield: School, unused: Schedule
) -> None:
    response = login_as("technician").post(
        remove_url(unused), {"reason": "", "risk_assessment": ""}
    )
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Say why the change is needed." in body and "Assess the risk of the change." in body
    assert not Change.objects.filter(kind="schedule_remove").exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        (
            {"schedule": "no-such-schedule", "days": ["mon"], "start": "9:00", "end": "10:00"},
            "schedule",
        ),
        ({"schedule": "lunch", "days": [], "start": "12:30", "end": "13:30"}, "days"),
        ({"schedule": "lunch", "days": ["monday"], "start": "12:30", "end": "13:30"}, "days"),
        ({"schedule": "lunch", "days": ["mon"], "start": "12.30", "end": "13:30"}, "start"),
        ({"schedule": "lunch", "days": ["mon"], "start": "14:00", "end": "13:30"}, "end"),
    ],
)
def test_the_service_refuses_an_unknown_schedule_or_bad_times(
    oakfield: School, payload: dict[str, Any], field: str
) -> None:
    before = Change.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.propose(
            user("technician"),
            oakfield,
            kind="schedule_change",
            payload=payload,
            reason="r",
            risk_assessment="r",
        )
    assert field in caught.value.message_dict
    assert Change.objects.count() == before
    with pytest.raises(ValidationError, match="There is no schedule called 'gone'"):
        _propose_removal(oakfield, "gone")


def test_days_are_kept_in_week_order_and_times_as_hh_mm(oakfield: School, lunch: Schedule) -> None:
    change = services.propose(
        user("technician"),
        oakfield,
        kind="schedule_change",
        payload={
            "schedule": "lunch",
            "days": ["fri", "mon", "mon"],
            "start": "9:05",
            "end": "10:00",
        },
        reason="r",
        risk_assessment="r",
    )
    assert (change.payload["days"], change.payload["start"]) == (["mon", "fri"], "09:05")
    assert change.summary.startswith("Change the schedule lunch to Mon, Fri 09:05–10:00")


def test_another_schools_schedule_is_not_found(
    login_as: Login, oakfield: School, riverside: School
) -> None:
    theirs = Schedule.objects.create(
        school=riverside, name="lunch", start=datetime.time(12), end=datetime.time(13)
    )
    before = Change.objects.count()
    technician = login_as("technician")
    for url in (
        reverse("filtering:schedule_change", args=["oakfield", theirs.pk]),
        reverse("filtering:schedule_remove", args=["oakfield", theirs.pk]),
    ):
        assert technician.get(url).status_code == 404
        assert technician.post(url, {**new_lunch(), "risk_assessment": "x"}).status_code == 404
    assert technician.get(change_url(theirs)).status_code == 404  # not their school at all
    assert login_as("riverside-dsl").get(change_url(theirs)).status_code == 403
    assert Change.objects.count() == before
    theirs.refresh_from_db()
    assert theirs.start == datetime.time(12)


def test_only_those_who_may_change_filtering_see_change_and_remove(
    login_as: Login, oakfield: School, lunch: Schedule
) -> None:
    overview = reverse("filtering:overview", args=["oakfield"])
    technician = login_as("technician").get(overview).content.decode()
    assert change_url(lunch) in technician and remove_url(lunch) in technician
    assert "Adding one takes effect at once" in technician
    assert "needs someone else's approval" in technician
    for persona in ("head", "dsl"):
        body = login_as(persona).get(overview).content.decode()
        assert "Weekdays 12:00–13:00" in body  # the schedule is shown…
        assert change_url(lunch) not in body and remove_url(lunch) not in body  # …not the actions
        assert login_as(persona).get(change_url(lunch)).status_code == 403
        assert login_as(persona).post(remove_url(lunch)).status_code == 403


def test_the_change_form_starts_from_the_schedule_as_it_is(
    login_as: Login, lunch: Schedule
) -> None:
    body = login_as("technician").get(change_url(lunch)).content.decode()
    assert 'value="12:00"' in body and 'value="13:00"' in body
    assert "Now: weekdays 12:00–13:00." in body
    assert "Staff: Social media except during the schedule" in body
