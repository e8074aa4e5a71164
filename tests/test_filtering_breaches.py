"""Filtering breaches involving a pupil (seed 004): recorded from the filter log or by hand,
the safeguarding team told, parents informed or the reason not, illegal material reported,
raised as a concern, and closed."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.accounts.roles import SAFEGUARDING_TEAM_ROLES
from safeschool.audit.models import AuditEvent
from safeschool.concerns.models import Concern, ConcernPupil, ParentContact
from safeschool.filtering import breaches
from safeschool.filtering.models import Breach
from safeschool.filterlog.models import FilterEvent
from safeschool.notifications.models import Notification
from safeschool.people.models import Pupil
from safeschool.schools.models import School

pytestmark = pytest.mark.django_db
AN_HOUR_AGO = timezone.now() - datetime.timedelta(hours=1)
TODAY = timezone.localdate()


def user(name: str) -> User:
    return User.objects.get(username=name)


@pytest.fixture
def pupil(oakfield_pupil: Pupil) -> Pupil:
    if not oakfield_pupil.network_username:
        oakfield_pupil.network_username = "jbloggs42"
        oakfield_pupil.save()
    return oakfield_pupil


def blocked_event(school: School, username: str, **changes: Any) -> FilterEvent:
    fields: dict[str, Any] = {
        "event_id": f"test-{FilterEvent.objects.count()}-{username}",
        "at": AN_HOUR_AGO,
        "source": "dns",
        "action": "block",
        "category": "pornography",
        "rule": "category",
        "client": "10.2.0.15",
        "username": username,
        "host": "adult.example",
        "url": "http://adult.example/page",
        "school": school,
    }
    fields.update(changes)
    return FilterEvent.objects.create(**fields)


def new_breach(pupil: Pupil | None, **changes: Any) -> breaches.NewBreach:
    fields: dict[str, Any] = {
        "what_happened": "Searched for an adult site in ICT; the teacher saw the block page.",
        "pupil": pupil,
        "occurred_at": AN_HOUR_AGO,
        "url": "adult.example",
        "category": "pornography",
    }
    fields.update(changes)
    return breaches.NewBreach(**fields)


def form_data(who: Pupil, **changes: Any) -> dict[str, Any]:
    data = {
        "pupil": str(who.pk),
        "occurred_at": timezone.localtime(AN_HOUR_AGO).strftime("%Y-%m-%dT%H:%M"),
        "url": "adult.example",
        "category": "pornography",
        "what_happened": "Tried to reach an adult site in the library.",
    }
    data.update(changes)
    return data


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"filtering:{name}", kwargs={"slug": "oakfield", **kwargs})


def team(school: School) -> set[str]:
    return set(
        User.objects.filter(
            memberships__school=school, memberships__role__in=SAFEGUARDING_TEAM_ROLES
        ).values_list("username", flat=True)
    )


# Recording


def test_dsl_records_a_breach_from_a_blocked_event_with_the_pupil_found(
    oakfield: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    event = blocked_event(oakfield, pupil.network_username.upper())
    client = login_as("dsl")
    page = client.get(url("breach_new") + f"?event={event.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["pupil"] == pupil
    assert page.context["form"].initial["url"] == "http://adult.example/page"
    data = form_data(pupil, url="http://adult.example/page", event=str(event.pk))
    response = client.post(url("breach_new"), data)
    breach = Breach.objects.get(school=oakfield)
    assert response.status_code == 302
    assert response["Location"] == url("breach", breach_id=breach.pk)
    assert breach.pupil == pupil
    assert breach.event == event
    assert breach.recorded_by == user("dsl")
    assert breach.is_open and breach.parents_informed is None


def test_record_breach_fills_blanks_from_the_event(oakfield: School, pupil: Pupil) -> None:
    event = blocked_event(oakfield, pupil.network_username, category="gambling")
    breach = breaches.record_breach(
        user("deputy"), oakfield, breaches.NewBreach(what_happened="Seen in class.", event=event)
    )
    assert (breach.pupil, breach.url, breach.category) == (
        pupil,
        "http://adult.example/page",
        "gambling",
    )
    assert breach.occurred_at == event.at


def test_a_breach_links_the_monitoring_alert_for_the_same_episode(
    oakfield: School, pupil: Pupil
) -> None:
    from safeschool.monitoring.services import record_external_alert

    alert = record_external_alert(
        user("technician"),
        oakfield,
        severity=3,
        category="pornography",
        text="adult.example",
        source="test",
        username=pupil.network_username,
        at=AN_HOUR_AGO,
    )
    event = blocked_event(oakfield, pupil.network_username)
    breach = breaches.record_breach(
        user("dsl"), oakfield, breaches.NewBreach(what_happened="Seen.", event=event)
    )
    assert breach.alert == alert


def test_dsl_records_a_breach_by_hand(
    oakfield: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    response = login_as("deputy").post(url("breach_new"), form_data(pupil, category="illegal"))
    breach = Breach.objects.get(school=oakfield)
    assert response.status_code == 302
    assert (breach.pupil, breach.category, breach.event) == (pupil, "illegal", None)
    assert breach.category_label == "Illegal"


def test_a_staff_user_name_needs_the_pupil_chosen(
    oakfield: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    event = blocked_event(oakfield, "teacher")
    page = login_as("dsl").get(url("breach_new") + f"?event={event.pk}")
    assert page.context["form"].initial["pupil"] is None
    assert b"does not belong to a pupil" in page.content
    with pytest.raises(ValidationError) as error:
        breaches.record_breach(user("dsl"), oakfield, breaches.NewBreach("Seen.", event=event))
    assert "pupil" in error.value.message_dict
    assert not Breach.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"what_happened": "  "}, "what_happened"),
        ({"url": ""}, "url"),
        ({"occurred_at": ""}, "occurred_at"),
        ({"pupil": ""}, "pupil"),
    ],
)
def test_an_incomplete_breach_saves_nothing(
    pupil: Pupil, login_as: Callable[[str], Client], changes: dict[str, Any], field: str
) -> None:
    response = login_as("dsl").post(url("breach_new"), form_data(pupil, **changes))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Breach.objects.exists()
    assert not Notification.objects.filter(message__startswith="Filtering breach").exists()


def test_a_breach_in_the_future_is_refused(oakfield: School, pupil: Pupil) -> None:
    later = timezone.now() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        breaches.record_breach(user("dsl"), oakfield, new_breach(pupil, occurred_at=later))
    assert "occurred_at" in error.value.message_dict
    assert not Breach.objects.exists()


def test_another_schools_pupil_or_event_is_refused(
    oakfield: School, riverside: School, riverside_pupil: Pupil, pupil: Pupil
) -> None:
    with pytest.raises(ValidationError):
        breaches.record_breach(user("dsl"), oakfield, new_breach(riverside_pupil))
    event = blocked_event(riverside, pupil.network_username)
    with pytest.raises(ValidationError):
        breaches.record_breach(user("dsl"), oakfield, new_breach(pupil, event=event))
    assert not Breach.objects.exists()


def test_another_schools_event_is_not_found_on_the_form(
    riverside: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    event = blocked_event(riverside, pupil.network_username)
    assert login_as("dsl").get(url("breach_new") + f"?event={event.pk}").status_code == 404
    assert login_as("dsl").get(url("breach_new") + "?event=nonsense").status_code == 404


def test_recording_a_breach_notifies_the_team_only_and_names_no_one_by_email(
    oakfield: School, pupil: Pupil
) -> None:
    breach = breaches.record_breach(user("dsl"), oakfield, new_breach(pupil))
    told = set(
        Notification.objects.filter(url=url("breach", breach_id=breach.pk)).values_list(
            "user__username", flat=True
        )
    )
    assert told == team(oakfield) - {"dsl"}
    assert {"head", "teacher", "technician", "governor"}.isdisjoint(told)
    assert all(pupil.last_name not in n.message for n in Notification.objects.all())


def test_the_breach_email_names_no_one(
    oakfield: School, pupil: Pupil, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        breaches.record_breach(user("dsl"), oakfield, new_breach(pupil))
    assert mail.outbox
    for message in mail.outbox:
        assert pupil.first_name not in message.body + message.subject
        assert pupil.last_name not in message.body + message.subject
        assert "adult.example" not in message.body


def test_recording_is_audited(oakfield: School, pupil: Pupil) -> None:
    breach = breaches.record_breach(user("dsl"), oakfield, new_breach(pupil))
    row = AuditEvent.objects.get(action="filtering.breach_recorded", subject_id=str(breach.pk))
    assert row.actor == user("dsl")
    assert row.data["pupil"] == str(pupil.pk)
    assert pupil.last_name not in row.subject_label


# Parents informed, reports, concern, closing


@pytest.fixture
def breach(oakfield: School, pupil: Pupil) -> Breach:
    return breaches.record_breach(user("dsl"), oakfield, new_breach(pupil))


def step(client: Client, breach: Breach, name: str, data: dict[str, str]) -> Any:
    prefixed = {f"{name}-{key}": value for key, value in data.items()}
    return client.post(url("breach_step", breach_id=breach.pk, step=name), prefixed)


def test_parents_informed_is_recorded(breach: Breach, login_as: Callable[[str], Client]) -> None:
    data = {"informed": "yes", "informed_on": TODAY.isoformat(), "how": "Mother, by phone"}
    response = step(login_as("deputy"), breach, "parents", data)
    breach.refresh_from_db()
    assert response.status_code == 302
    assert breach.parents_informed is True
    assert (breach.parents_informed_on, breach.parents_informed_how) == (TODAY, "Mother, by phone")
    assert breach.parents_recorded_by == user("deputy")
    assert AuditEvent.objects.filter(
        action="filtering.breach_parents_recorded", subject_id=str(breach.pk)
    ).exists()


def test_parents_not_informed_needs_a_reason(
    breach: Breach, login_as: Callable[[str], Client]
) -> None:
    response = step(login_as("dsl"), breach, "parents", {"informed": "no"})
    breach.refresh_from_db()
    assert response.status_code == 400
    assert "reason_not_informed" in response.context["forms"]["parents"].errors
    assert breach.parents_informed is None
    reason = {"informed": "no", "reason_not_informed": "Telling them could put the child at risk."}
    assert step(login_as("dsl"), breach, "parents", reason).status_code == 302
    breach.refresh_from_db()
    assert breach.parents_informed is False
    assert breach.parents_not_informed_reason.startswith("Telling them")


def test_parents_informed_needs_a_date(breach: Breach) -> None:
    with pytest.raises(ValidationError) as error:
        breaches.record_parents_informed(user("dsl"), breach, informed=True)
    assert "informed_on" in error.value.message_dict
    breach.refresh_from_db()
    assert breach.parents_informed is None


def test_an_external_report_is_recorded(breach: Breach, login_as: Callable[[str], Client]) -> None:
    data = {"reported_to": "iwf", "reported_on": TODAY.isoformat(), "reference": "IWF-123"}
    assert step(login_as("dsl"), breach, "report", data).status_code == 302
    breach.refresh_from_db()
    assert (breach.reported_to, breach.report_reference) == ("iwf", "IWF-123")
    assert AuditEvent.objects.filter(
        action="filtering.breach_reported", subject_id=str(breach.pk)
    ).exists()


def test_an_external_report_needs_who_and_when(breach: Breach) -> None:
    with pytest.raises(ValidationError) as error:
        breaches.record_external_report(user("dsl"), breach, reported_to="", reported_on=None)
    assert set(error.value.message_dict) == {"reported_to", "reported_on"}


def test_raising_as_a_concern_links_a_filtering_breach_concern_about_the_pupil(
    breach: Breach, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    client = login_as("dsl")
    page = client.get(url("breach", breach_id=breach.pk))
    account = page.context["forms"]["concern"].initial["account"]
    assert "adult.example" in account
    data = {"category": "content", "account": account}
    assert step(client, breach, "concern", data).status_code == 302
    breach.refresh_from_db()
    concern = breach.concern
    assert concern is not None
    assert (concern.concern_type, concern.category) == ("filtering_breach", "content")
    assert concern.occurred_at == breach.occurred_at
    link = ConcernPupil.objects.get(concern=concern)
    assert (link.pupil, link.role) == (pupil, "subject")
    assert AuditEvent.objects.filter(
        action="filtering.breach_raised", subject_id=str(breach.pk)
    ).exists()


@pytest.mark.parametrize("informed", [True, False])
def test_the_parents_informed_step_carries_over_to_the_concern(
    breach: Breach, informed: bool
) -> None:
    if informed:
        breaches.record_parents_informed(
            user("dsl"), breach, informed=True, informed_on=TODAY, how="Mother, by phone"
        )
    else:
        breaches.record_parents_informed(
            user("dsl"), breach, informed=False, reason_not_informed="Police asked us to wait"
        )
    concern = breaches.raise_as_concern(user("dsl"), breach)
    contact = ParentContact.objects.get(concern=concern)
    assert contact.informed is informed
    if informed:
        assert (contact.informed_on, contact.who) == (TODAY, "Mother, by phone")
    else:
        assert contact.reason_not_informed == "Police asked us to wait"


def test_no_parents_step_on_the_breach_leaves_the_concern_without_one(breach: Breach) -> None:
    concern = breaches.raise_as_concern(user("dsl"), breach)
    assert not ParentContact.objects.filter(concern=concern).exists()


def test_a_breach_is_raised_as_a_concern_once(breach: Breach) -> None:
    before = Concern.objects.count()
    breaches.raise_as_concern(user("dsl"), breach)
    with pytest.raises(ValidationError):
        breaches.raise_as_concern(user("deputy"), breach)
    assert Concern.objects.count() == before + 1


def test_closing_needs_a_note_and_stops_further_changes(
    breach: Breach, login_as: Callable[[str], Client]
) -> None:
    client = login_as("dsl")
    assert step(client, breach, "close", {"note": " "}).status_code == 400
    assert step(client, breach, "close", {"note": "Talked with the pupil."}).status_code == 302
    breach.refresh_from_db()
    assert breach.status == "closed" and breach.closed_by == user("dsl")
    assert AuditEvent.objects.filter(
        action="filtering.breach_closed", subject_id=str(breach.pk)
    ).exists()
    with pytest.raises(ValidationError):
        breaches.raise_as_concern(user("dsl"), breach)
    assert step(client, breach, "parents", {"informed": "no", "reason_not_informed": "x"})[
        "Location"
    ] == url("breach", breach_id=breach.pk)
    breach.refresh_from_db()
    assert breach.parents_informed is None


def test_an_unknown_step_is_not_found(breach: Breach, login_as: Callable[[str], Client]) -> None:
    assert step(login_as("dsl"), breach, "delete", {}).status_code == 404


def test_steps_need_post(breach: Breach, login_as: Callable[[str], Client]) -> None:
    response = login_as("dsl").get(url("breach_step", breach_id=breach.pk, step="close"))
    assert response.status_code == 405


# Listing and reading


def test_the_list_shows_open_breaches_first(
    oakfield: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    older = breaches.record_breach(
        user("dsl"), oakfield, new_breach(pupil, occurred_at=AN_HOUR_AGO - datetime.timedelta(1))
    )
    newer = breaches.record_breach(user("dsl"), oakfield, new_breach(pupil))
    breaches.close(user("dsl"), newer, note="Resolved.")
    page = login_as("dsl").get(url("breaches"))
    assert [b.pk for b in page.context["page"]] == [older.pk, newer.pk]
    assert pupil.last_name.encode() in page.content


def test_viewing_a_breach_is_audited(breach: Breach, login_as: Callable[[str], Client]) -> None:
    assert login_as("deputy").get(url("breach", breach_id=breach.pk)).status_code == 200
    row = AuditEvent.objects.get(action="filtering.breach_viewed", subject_id=str(breach.pk))
    assert row.actor == user("deputy")


# Permissions


def test_the_head_may_read_breaches_but_not_change_them(
    breach: Breach, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    head = login_as("head")
    assert head.get(url("breaches")).status_code == 200
    page = head.get(url("breach", breach_id=breach.pk))
    assert page.status_code == 200
    assert not page.context["manage"]
    assert b"form-parents" not in page.content
    assert head.get(url("breach_new")).status_code == 403
    assert step(head, breach, "close", {"note": "Done."}).status_code == 403
    with pytest.raises(PermissionDenied):
        breaches.record_breach(user("head"), breach.school, new_breach(pupil))
    with pytest.raises(PermissionDenied):
        breaches.close(user("head"), breach, note="Done.")
    breach.refresh_from_db()
    assert breach.is_open


@pytest.mark.parametrize("persona", ["teacher", "technician", "governor"])
def test_other_staff_may_not_see_breaches(
    breach: Breach, login_as: Callable[[str], Client], persona: str
) -> None:
    client = login_as(persona)
    assert client.get(url("breaches")).status_code == 403
    assert client.get(url("breach", breach_id=breach.pk)).status_code == 403
    assert client.get(url("breach_new")).status_code == 403
    assert step(client, breach, "close", {"note": "Done."}).status_code == 403


def test_another_schools_dsl_gets_not_found(
    breach: Breach, riverside: School, login_as: Callable[[str], Client]
) -> None:
    client = login_as("riverside-dsl")
    assert client.get(url("breach", breach_id=breach.pk)).status_code == 404
    assert step(client, breach, "close", {"note": "Done."}).status_code == 404
    own = reverse("filtering:breach", kwargs={"slug": "riverside", "breach_id": breach.pk})
    assert client.get(own).status_code == 404
    with pytest.raises(PermissionDenied):
        breaches.close(user("riverside-dsl"), breach, note="Done.")


# Links from the filter logs and the filtering overview


def test_blocked_rows_offer_record_as_a_breach_to_the_team_only(
    oakfield: School, pupil: Pupil, login_as: Callable[[str], Client]
) -> None:
    event = blocked_event(oakfield, pupil.network_username)
    link = f"{url('breach_new')}?event={event.pk}".encode()
    logs = reverse("filterlog:logs", kwargs={"slug": "oakfield"}) + "?action=block"
    assert link in login_as("dsl").get(logs).content
    assert link not in login_as("technician").get(logs).content
    assert link not in login_as("head").get(logs).content


def test_the_overview_links_to_breaches_for_those_who_may_see_them(
    login_as: Callable[[str], Client],
) -> None:
    overview = url("overview")
    assert url("breaches").encode() in login_as("dsl").get(overview).content
    assert url("breaches").encode() in login_as("head").get(overview).content
    assert url("breaches").encode() not in login_as("technician").get(overview).content
