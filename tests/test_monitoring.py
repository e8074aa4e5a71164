from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.audit.models import AuditEvent
from safeschool.concerns.models import Concern
from safeschool.filterlog.models import FilterEvent
from safeschool.monitoring import services
from safeschool.monitoring.models import Alert, AlertStatus
from safeschool.notifications.models import Notification
from safeschool.people.models import Pupil
from safeschool.schools.models import School
from tests.test_api import token_for

Login = Callable[[str], Client]
_ids = itertools.count()


def event(school: School, *, at: datetime.datetime | None = None, **fields: Any) -> FilterEvent:
    values: dict[str, Any] = {
        "event_id": f"test-{next(_ids)}",
        "at": at or timezone.now(),
        "source": "squid",
        "action": "allow",
        "client": "10.2.0.15",
        "school": school,
    }
    values.update(fields)
    return FilterEvent.objects.create(**values)


def search(school: School, text: str, **fields: Any) -> FilterEvent:
    url = "http://www.google.com/search?q=" + text.replace(" ", "+")
    return event(school, host="www.google.com", url=url, search_terms=text, **fields)


@pytest.fixture
def pupil(oakfield: School) -> Pupil:
    # Year 4: no demo alert or filter event involves them.
    found = Pupil.objects.filter(school=oakfield, year_group="4").first()
    assert found is not None and found.network_username
    return found


def test_a_suicide_search_alerts_the_whole_team_at_once(
    oakfield: School, pupil: Pupil, django_capture_on_commit_callbacks: Any
) -> None:
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        alerts = services.process_events(
            [search(oakfield, "how to kill myself", username=pupil.network_username)]
        )
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.category, alert.severity, alert.rule, alert.pupil) == (
        "suicide",
        5,
        "term",
        pupil,
    )
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"dsl", "deputy"}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "deputy@oakfield.example",
        "dsl@oakfield.example",
    ]
    assert pupil.last_name not in mail.outbox[0].body


@pytest.mark.parametrize(
    "text",
    [
        "assassin's creed homework",
        "scunthorpe united results",
        "grape juice recipe",
        "kill a python process",
        "suicide squad cast",
        "therapist near me",
    ],
)
def test_innocent_searches_raise_nothing(oakfield: School, text: str) -> None:
    assert services.process_events([search(oakfield, text)]) == []


def test_repeated_blocks_in_a_high_risk_category(oakfield: School, pupil: Pupil) -> None:
    name = pupil.network_username
    start = timezone.now()
    four = [
        event(
            oakfield,
            at=start + datetime.timedelta(seconds=i),
            action="block",
            category="adult",
            host=f"site{i}.example",
            username=name,
        )
        for i in range(4)
    ]
    assert services.process_events(four) == []
    fifth = event(
        oakfield,
        at=start + datetime.timedelta(seconds=5),
        action="block",
        category="adult",
        host="site5.example",
        username=name,
    )
    alerts = services.process_events([fifth])
    assert [(a.rule, a.category, a.severity) for a in alerts] == [
        ("repeated_blocks", "pornography", 3)
    ]
    assert not Notification.objects.filter(url__contains=str(alerts[0].pk)).exists(), (
        "severity 3 waits in the queue"
    )


def test_blocks_in_a_low_risk_category_never_count(oakfield: School) -> None:
    events = [
        event(oakfield, action="block", category="games", host=f"g{i}.example") for i in range(10)
    ]
    assert services.process_events(events) == []


def test_bypass_attempts_alert(oakfield: School) -> None:
    by_category = services.process_events(
        [event(oakfield, action="block", category="vpn", host="freevpn.example")]
    )
    by_search = services.process_events(
        [search(oakfield, "how to get past school filter vpn", client="10.2.0.99")]
    )
    assert [a.rule for a in by_category + by_search] == ["bypass", "bypass"]


def test_an_illegal_layer_hit_is_always_severity_5(oakfield: School) -> None:
    alerts = services.process_events(
        [event(oakfield, action="block", rule="illegal", category="illegal", host="bad.example")]
    )
    assert [(a.category, a.severity) for a in alerts] == [("illegal", 5)]


def test_one_episode_is_one_alert(oakfield: School, pupil: Pupil) -> None:
    start = timezone.now()
    for i in range(60):
        services.process_events(
            [
                search(
                    oakfield,
                    "buy weed near me",
                    username=pupil.network_username,
                    at=start + datetime.timedelta(seconds=i * 20),
                )
            ]
        )
    alerts = Alert.objects.filter(school=oakfield, rule="term", username=pupil.network_username)
    assert alerts.count() == 1
    assert alerts[0].event_count == 60
    assert len(alerts[0].context) == services.MAX_CONTEXT
    later = start + datetime.timedelta(hours=3)
    services.process_events(
        [search(oakfield, "buy weed near me", username=pupil.network_username, at=later)]
    )
    assert alerts.count() == 2


def test_an_alert_about_a_team_member_is_hidden_from_them(
    oakfield: School, login_as: Login, django_capture_on_commit_callbacks: Any
) -> None:
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        (alert,) = services.process_events(
            [search(oakfield, "how to kill myself", username="deputy")]
        )
    assert alert.user == User.objects.get(username="deputy")
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"dsl"}
    url = reverse("monitoring:detail", args=["oakfield", alert.pk])
    assert login_as("deputy").get(url).status_code == 404
    assert login_as("dsl").get(url).status_code == 200


def test_false_positive_needs_a_reason_and_is_audited(oakfield: School) -> None:
    (alert,) = services.process_events([search(oakfield, "buy weed near me")])
    dsl = User.objects.get(username="dsl")
    with pytest.raises(Exception, match="Say why"):
        services.mark_false_positive(dsl, alert, " ")
    services.mark_false_positive(dsl, alert, "A science lesson on plants")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FALSE_POSITIVE
    assert AuditEvent.objects.filter(
        action="alert.false_positive", subject_id=str(alert.pk)
    ).exists()


def test_raise_as_concern_carries_the_context(
    oakfield: School, pupil: Pupil, login_as: Login
) -> None:
    (alert,) = services.process_events(
        [search(oakfield, "how to kill myself", username=pupil.network_username)]
    )
    client = login_as("dsl")
    page = client.get(reverse("monitoring:detail", args=["oakfield", alert.pk])).content.decode()
    assert "how to kill myself" in page
    response = client.post(
        reverse("monitoring:triage", args=["oakfield", alert.pk, "raise"]),
        {
            "pupil": pupil.pk,
            "role": "subject",
            "category": "content",
            "concern_type": "self_harm",
            "urgent": "on",
            "account": "Monitoring alert: Suicide, severity 5.\nSearch: how to kill myself",
        },
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    concern = Concern.objects.get(pk=alert.concern_id)
    assert alert.status == AlertStatus.RAISED
    assert concern.urgent and concern.pupil_links.get().pupil == pupil
    assert "how to kill myself" in concern.current_account.text  # type: ignore[union-attr]


def test_raise_form_is_prefilled_from_the_alert(oakfield: School, pupil: Pupil) -> None:
    from safeschool.monitoring.forms import RaiseForm

    (alert,) = services.process_events(
        [search(oakfield, "how to kill myself", username=pupil.network_username)]
    )
    form = RaiseForm(alert=alert)
    assert form.fields["pupil"].initial == pupil.pk
    assert form.fields["urgent"].initial is True
    assert "how to kill myself" in form.fields["account"].initial


def test_teacher_cannot_triage(oakfield: School, login_as: Login) -> None:
    (alert,) = services.process_events([search(oakfield, "buy weed near me")])
    url = reverse("monitoring:triage", args=["oakfield", alert.pk, "no-action"])
    assert login_as("teacher").post(url, {"reason": "x"}).status_code == 403
    assert login_as("riverside-dsl").post(url, {"reason": "x"}).status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW


def test_school_tunes_terms_with_who_and_why(oakfield: School, login_as: Login) -> None:
    client = login_as("dsl")
    url = reverse("monitoring:terms", args=["oakfield"])
    refused = client.post(url, {"term": "buy weed", "change": "disable", "reason": ""})
    assert "There is a problem" in refused.content.decode()
    client.post(url, {"term": "buy weed", "change": "disable", "reason": "Too noisy here"})
    client.post(
        url,
        {
            "term": "blue whale challenge",
            "change": "add",
            "category": "self_harm",
            "severity": "4",
            "reason": "Local hoax going round Year 6",
        },
    )
    after = services.process_events([search(oakfield, "buy weed near me")])
    assert [a.term for a in after] == ["weed"], "only the disabled term stops firing"
    (added,) = services.process_events([search(oakfield, "what is the blue whale challenge")])
    assert (added.category, added.severity) == ("self_harm", 4)
    assert AuditEvent.objects.filter(action="monitoring.term_changed").count() == 2
    assert login_as("teacher").get(url).status_code == 403


def _post_alert(token: str, body: Any) -> Any:
    return Client(headers={"Authorization": f"Bearer {token}"}).post(
        "/api/v1/alerts/", json.dumps(body), content_type="application/json"
    )


def test_other_tools_feed_the_queue_through_the_api(oakfield: School) -> None:
    token = token_for("technician")
    good = {
        "severity": 4,
        "category": "bullying",
        "text": "You're worthless, everyone hates you",
        "source": "device-monitor",
        "username": "teacher",
        "client": "10.2.0.20",
        "at": "2026-11-20T10:15:00+00:00",
    }
    created = _post_alert(token, good)
    assert created.status_code == 201
    alert = Alert.objects.get(pk=created.json()["id"])
    assert (alert.rule, alert.source, alert.severity) == ("external", "device-monitor", 4)
    before = Alert.objects.count()
    for bad in [
        {**good, "severity": 9},
        {**good, "category": "nope"},
        {**good, "client": "x"},
        {**good, "at": "yesterday"},
        {**good, "text": ""},
        ["not", "an", "object"],
    ]:
        assert _post_alert(token, bad).status_code == 400
    assert Alert.objects.count() == before
    listing = Client(headers={"Authorization": f"Bearer {token_for('dsl')}"}).get("/api/v1/alerts/")
    assert str(alert.pk) in listing.content.decode()
    teacher = Client(headers={"Authorization": f"Bearer {token_for('teacher')}"})
    assert teacher.get("/api/v1/alerts/").status_code == 404
    assert _post_alert(token_for("teacher"), good).status_code == 403
    other = Client(headers={"Authorization": f"Bearer {token_for('riverside-dsl')}"})
    assert str(alert.pk) not in other.get("/api/v1/alerts/").content.decode()


def test_the_filtering_checks_own_test_entries_never_raise_alerts(oakfield: School) -> None:
    check = event(
        oakfield,
        action="block",
        rule="illegal",
        category="illegal",
        host="check-illegal.safeschool.invalid",
        source="dns",
    )
    assert services.process_events([check]) == []
    real = event(
        oakfield,
        action="block",
        rule="illegal",
        category="illegal",
        host="check-illegal.safeschool.invalid.evil.example",
        source="dns",
    )
    assert len(services.process_events([real])) == 1
