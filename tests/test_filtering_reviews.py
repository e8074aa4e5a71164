"""The annual filtering and monitoring review (DfE standard 2) and its reminder."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.audit.models import AuditEvent
from safeschool.filtering.models import AnnualReview, CheckRun, ReviewReminder
from safeschool.filtering.reviews import (
    due_reviews,
    one_year_after,
    record_review,
    review_reminder,
    send_review_reminders,
)
from safeschool.notifications.models import Notification
from safeschool.schools.models import School

TODAY = timezone.localdate()


def form_data(**changes: Any) -> dict[str, Any]:
    data = {
        "review_date": TODAY.isoformat(),
        "leadership_took_part": "on",
        "leadership_names": "Ms Head (headteacher)",
        "dsl_took_part": "on",
        "dsl_names": "Mr Lead (DSL)",
        "it_took_part": "on",
        "it_names": "Network manager, Oakfield IT",
        "governor_took_part": "on",
        "governor_names": "Mrs Governor (link governor)",
        "what_was_checked": "Blocked categories per group; the latest check run; alert routes.",
        "results": "All checks passed; YouTube over-blocking for Year 6.",
        "actions": "Allow-list two history channels (network manager, by half term).",
        "next_review_due": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def fields(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "review_date": TODAY,
        "leadership_took_part": True,
        "leadership_names": "Head",
        "dsl_took_part": True,
        "dsl_names": "DSL",
        "it_took_part": False,
        "it_names": "",
        "governor_took_part": False,
        "governor_names": "",
        "what_was_checked": "Checks",
        "results": "Fine",
        "actions": "None",
        "next_review_due": None,
    }
    return {**base, **changes}


def new_url() -> str:
    return reverse("filtering:review_new", kwargs={"slug": "oakfield"})


def test_dsl_records_a_review_with_the_latest_check_run_attached(
    oakfield: School, login_as: Callable[[str], Client]
) -> None:
    run = CheckRun.objects.create(school=oakfield, passed=True, finished_at=timezone.now())
    response = login_as("dsl").post(new_url(), form_data())
    review = AnnualReview.objects.get(school=oakfield)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "filtering:review", kwargs={"slug": "oakfield", "review_id": review.pk}
    )
    assert review.check_run == run and review.created_by.username == "dsl"
    assert review.next_review_due == one_year_after(TODAY)
    assert review.governor_took_part and review.governor_names.startswith("Mrs Governor")
    event = AuditEvent.objects.get(action="filtering.review_recorded", subject_id=str(review.pk))
    assert event.actor == User.objects.get(username="dsl") and event.school == oakfield


def test_the_review_page_shows_the_attached_run(
    oakfield: School, login_as: Callable[[str], Client]
) -> None:
    CheckRun.objects.create(school=oakfield, passed=False, finished_at=timezone.now())
    review = record_review(User.objects.get(username="head"), oakfield, fields())
    url = reverse("filtering:review", kwargs={"slug": "oakfield", "review_id": review.pk})
    page = login_as("governor").get(url)
    assert page.status_code == 200 and b"failed" in page.content


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dsl_took_part": None}, "dsl_took_part"),
        ({"leadership_took_part": None}, "leadership_took_part"),
        ({"governor_names": ""}, "governor_names"),
        ({"results": ""}, "results"),
        ({"review_date": "2999-01-01"}, "review_date"),
        (
            {"next_review_due": (TODAY + datetime.timedelta(days=400)).isoformat()},
            "next_review_due",
        ),
        ({"next_review_due": (TODAY - datetime.timedelta(days=1)).isoformat()}, "next_review_due"),
    ],
)
def test_a_review_with_a_problem_is_refused_and_nothing_is_saved(
    oakfield: School, login_as: Callable[[str], Client], changes: dict[str, Any], field: str
) -> None:
    response = login_as("head").post(new_url(), form_data(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert b"There is a problem" in response.content
    assert not AnnualReview.objects.filter(school=oakfield).exists()
    assert not AuditEvent.objects.filter(action="filtering.review_recorded").exists()


def test_the_form_is_in_sections_with_hints(login_as: Callable[[str], Client]) -> None:
    page = login_as("dsl").get(new_url()).content.decode()
    assert page.count("<fieldset") == 6 and "<legend>2. Who took part</legend>" in page
    assert 'value="' + one_year_after(TODAY).isoformat() + '"' in page


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("teacher", 403),
        ("governor", 403),
        ("technician", 403),
        ("deputy", 403),
        ("riverside-dsl", 404),
    ],
)
def test_only_the_dsl_and_head_at_the_school_may_record_a_review(
    oakfield: School, login_as: Callable[[str], Client], persona: str, status: int
) -> None:
    assert login_as(persona).post(new_url(), form_data()).status_code == status
    assert not AnnualReview.objects.exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("governor", 200), ("technician", 200), ("teacher", 403), ("riverside-dsl", 404)],
)
def test_who_may_read_the_reviews(
    oakfield: School, login_as: Callable[[str], Client], persona: str, status: int
) -> None:
    url = reverse("filtering:reviews", kwargs={"slug": "oakfield"})
    assert login_as(persona).get(url).status_code == status


def test_another_schools_review_is_not_found(
    oakfield: School, riverside: School, login_as: Callable[[str], Client]
) -> None:
    review = record_review(User.objects.get(username="riverside-dsl"), riverside, fields())
    url = reverse("filtering:review", kwargs={"slug": "oakfield", "review_id": review.pk})
    assert login_as("dsl").get(url).status_code == 404


# The reminder --------------------------------------------------------------------------------


def test_a_school_that_never_reviewed_is_due(oakfield: School) -> None:
    assert review_reminder(oakfield) == {"due": None, "never": True, "overdue": True, "days": None}


def test_the_reminder_shows_within_30_days_and_when_overdue(oakfield: School) -> None:
    head = User.objects.get(username="head")
    last_year = TODAY - datetime.timedelta(days=340)
    review = record_review(
        head,
        oakfield,
        fields(review_date=last_year, next_review_due=last_year + datetime.timedelta(days=360)),
    )
    assert review_reminder(oakfield, TODAY - datetime.timedelta(days=30)) is None
    soon = review_reminder(oakfield)
    assert soon is not None and soon["due"] == review.next_review_due and not soon["overdue"]
    later = review_reminder(oakfield, review.next_review_due + datetime.timedelta(days=1))
    assert later is not None and later["overdue"]
    assert oakfield in [school for school, _ in due_reviews()]


def test_the_list_page_shows_the_notice(
    oakfield: School, login_as: Callable[[str], Client]
) -> None:
    page = login_as("governor").get(reverse("filtering:reviews", kwargs={"slug": "oakfield"}))
    assert b"No annual filtering and monitoring review has been recorded yet" in page.content
    assert b"Record the review" not in page.content  # the governor takes part; the DSL records


def test_reminders_go_to_the_dsl_and_head_once_per_due_date(oakfield: School) -> None:
    head = User.objects.get(username="head")
    record_review(
        head,
        oakfield,
        fields(
            review_date=TODAY - datetime.timedelta(days=350),
            next_review_due=TODAY + datetime.timedelta(days=10),
        ),
    )
    before = Notification.objects.filter(school=oakfield).count()
    send_review_reminders()
    notes = Notification.objects.filter(school=oakfield, message__contains="review is due")
    recipients = {n.user.username for n in notes}
    assert recipients == {"dsl", "head"}
    after = Notification.objects.filter(school=oakfield).count()
    send_review_reminders()
    call_command("review_reminders")
    assert Notification.objects.filter(school=oakfield).count() == after == before + 2
    assert ReviewReminder.objects.filter(school=oakfield).count() == 1
    assert (
        AuditEvent.objects.filter(action="filtering.review_reminder_sent", school=oakfield).count()
        == 1
    )


def test_a_new_due_date_reminds_again(oakfield: School) -> None:
    send_review_reminders()  # never reviewed: one reminder
    head = User.objects.get(username="head")
    record_review(
        head,
        oakfield,
        fields(
            review_date=TODAY - datetime.timedelta(days=360),
            next_review_due=TODAY + datetime.timedelta(days=5),
        ),
    )
    send_review_reminders()
    send_review_reminders()
    assert ReviewReminder.objects.filter(school=oakfield).count() == 2
