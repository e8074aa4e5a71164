"""Invented demo filter events at Oakfield, run through the real monitoring rules, so the demo
has alerts waiting, one triaged and one raised as a concern."""

from __future__ import annotations

import datetime

from django.test.utils import override_settings
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.concerns.services import NewConcern
from safeschool.filterlog.models import FilterEvent
from safeschool.monitoring import services
from safeschool.monitoring.models import Alert
from safeschool.people.models import Pupil
from safeschool.schools.models import School


def _event(school: School, at: datetime.datetime, number: int, **fields: object) -> FilterEvent:
    return FilterEvent(
        event_id=f"demo-{number}",
        at=at,
        source="squid",
        school=school,
        client="10.2.0.31",
        **fields,
    )


def _search(text: str) -> dict[str, object]:
    return {
        "action": "rewrite",
        "rule": "safe-search",
        "host": "www.google.com",
        "url": "http://www.google.com/search?q=" + text.replace(" ", "+"),
        "search_terms": text,
    }


def seed_alerts() -> None:
    school = School.objects.get(slug="oakfield")
    pupils = list(Pupil.objects.filter(school=school, year_group="6").order_by("pk")[:4])
    now = timezone.now()
    events = [
        _event(
            school,
            now - datetime.timedelta(minutes=50),
            1,
            username=pupils[0].network_username,
            **_search("how many paracetamol to overdose"),
        ),
        _event(
            school,
            now - datetime.timedelta(hours=3),
            2,
            username=pupils[1].network_username,
            **_search("free vpn to unblock school wifi"),
        ),
        _event(
            school,
            now - datetime.timedelta(days=1),
            3,
            username=pupils[2].network_username,
            **_search("macbeth kill duncan quotes"),
        ),
        _event(
            school,
            now - datetime.timedelta(days=2),
            4,
            username=pupils[3].network_username,
            **_search("buy weed near me"),
        ),
    ]
    blocks = [
        _event(
            school,
            now - datetime.timedelta(hours=5, seconds=-20 * i),
            10 + i,
            username=pupils[1].network_username,
            action="block",
            rule="category",
            category="adult",
            host=f"adult-site-{i}.example",
            url="",
        )
        for i in range(6)
    ]
    FilterEvent.objects.bulk_create(events + blocks)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        alerts = services.process_events(events + blocks)
        _triage(alerts, pupils[3])


def _triage(alerts: list[Alert], pupil: Pupil) -> None:
    dsl = User.objects.get(username="dsl")
    for alert in alerts:
        if alert.term == "buy weed":
            services.raise_as_concern(
                dsl,
                alert,
                NewConcern(
                    category="content",
                    concern_type="harmful_content",
                    account="Monitoring alert: searched for buying cannabis locally.",
                    pupils=[(pupil, "subject")],
                ),
            )
