"""The filter log: search by pupil or user, device or address, domain, category, action and
time; an audited CSV export safe to open in a spreadsheet; rows removed after the retention
period."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from safeschool.audit.models import AuditEvent
from safeschool.filterlog import retention
from safeschool.filterlog.models import FilterEvent
from safeschool.filterlog.search import address_prefix, safe_cell
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School

Login = Callable[[str], Client]
_numbers = count()
NOW = timezone.now()


def event(school: School | None, **fields: Any) -> FilterEvent:
    values: dict[str, Any] = {
        "event_id": f"test-log-{next(_numbers)}",
        "at": NOW - datetime.timedelta(minutes=5),
        "source": "squid",
        "action": "block",
        "category": "games",
        "rule": "category",
        "group": "ks2",
        "client": "10.50.1.7",
        "username": "lw.test",
        "host": "games.test-site.example",
        "url": "http://games.test-site.example/play",
        "school": school,
        **fields,
    }
    return FilterEvent.objects.create(**values)


def logs_url(school: str = "oakfield", **query: str) -> str:
    url = reverse("filterlog:logs", args=[school])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def csv_url(school: str = "oakfield", **query: str) -> str:
    url = reverse("filterlog:logs_csv", args=[school])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def hosts(response: Any) -> set[str]:
    return {e.host for e in response.context["page"]}


def rows(response: Any) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[arg-type]
    return list(csv.reader(io.StringIO(text)))


# Who may read the logs


@pytest.mark.parametrize("persona", ["technician", "dsl", "deputy", "head"])
def test_filtering_readers_search_the_logs(persona: str, oakfield: School, login_as: Login) -> None:
    event(oakfield, host="reader-check.example")
    response = login_as(persona).get(logs_url(domain="reader-check"))
    assert response.status_code == 200
    assert hosts(response) == {"reader-check.example"}


@pytest.mark.parametrize("persona", ["teacher", "governor", "chair"])
def test_others_may_not_read_the_logs(persona: str, oakfield: School, login_as: Login) -> None:
    assert login_as(persona).get(logs_url()).status_code == 403
    assert login_as(persona).get(csv_url()).status_code == 403


def test_another_schools_logs_are_not_found(oakfield: School, login_as: Login) -> None:
    event(oakfield, host="oakfield-only.example")
    client = login_as("riverside-dsl")
    assert client.get(logs_url()).status_code == 404
    assert client.get(csv_url()).status_code == 404
    own = client.get(logs_url("riverside", domain="oakfield-only"))
    assert own.status_code == 200 and hosts(own) == set()


def test_unattributed_events_belong_to_the_school_the_node_serves(
    oakfield: School, login_as: Login
) -> None:
    event(None, host="no-school.example")
    with override_settings(FILTER_SCHOOL="oakfield"):
        assert hosts(login_as("dsl").get(logs_url(domain="no-school"))) == {"no-school.example"}
        riverside = login_as("riverside-dsl").get(logs_url("riverside", domain="no-school"))
        assert hosts(riverside) == set()
    with override_settings(FILTER_SCHOOL=""):
        assert hosts(login_as("dsl").get(logs_url(domain="no-school"))) == set()


def test_the_logs_need_get(oakfield: School, login_as: Login) -> None:
    assert login_as("dsl").post(logs_url()).status_code == 405
    assert login_as("dsl").post(csv_url()).status_code == 405


# Searching


def test_search_by_user_name(oakfield: School, login_as: Login) -> None:
    event(oakfield, username="Jo.Bloggs", host="jo.example")
    event(oakfield, username="someone.else", host="else.example")
    response = login_as("dsl").get(logs_url(who="bloggs", domain=".example"))
    assert "jo.example" in hosts(response) and "else.example" not in hosts(response)


def test_search_by_a_pupils_name_finds_their_network_user_name(
    oakfield: School, oakfield_pupil: Pupil, login_as: Login
) -> None:
    oakfield_pupil.network_username = "zz.pupil42"
    oakfield_pupil.save()
    event(oakfield, username="ZZ.Pupil42", host="pupil-visit.example")
    name = f"{oakfield_pupil.first_name} {oakfield_pupil.last_name}"
    response = login_as("technician").get(logs_url(who=name, domain="pupil-visit"))
    assert hosts(response) == {"pupil-visit.example"}


def test_search_by_an_adults_name(oakfield: School, login_as: Login) -> None:
    adult = Adult.objects.filter(school=oakfield).first()
    assert adult is not None
    adult.network_username = "staff.zz9"
    adult.save()
    event(oakfield, username="staff.zz9", host="staff-visit.example")
    response = login_as("head").get(logs_url(who=adult.last_name, domain="staff-visit"))
    assert hosts(response) == {"staff-visit.example"}


def test_another_schools_pupil_names_do_not_match(
    oakfield: School, riverside_pupil: Pupil, login_as: Login
) -> None:
    riverside_pupil.network_username = "rv.only"
    riverside_pupil.save()
    event(oakfield, username="rv.only", host="rv-visit.example")
    response = login_as("dsl").get(logs_url(who=riverside_pupil.last_name, domain="rv-visit"))
    assert hosts(response) == set()


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("10.50.1.7", {"a.addr.example"}),
        ("10.50.1", {"a.addr.example", "b.addr.example"}),
        ("10.50.1.", {"a.addr.example", "b.addr.example"}),
        ("10.50.0.0/16", {"a.addr.example", "b.addr.example", "c.addr.example"}),
        ("10.50.1.0/24", {"a.addr.example", "b.addr.example"}),
    ],
)
def test_search_by_device_address(
    address: str, expected: set[str], oakfield: School, login_as: Login
) -> None:
    event(oakfield, client="10.50.1.7", host="a.addr.example")
    event(oakfield, client="10.50.1.70", host="b.addr.example")
    event(oakfield, client="10.50.2.7", host="c.addr.example")
    response = login_as("dsl").get(logs_url(address=address, domain="addr.example"))
    assert hosts(response) == expected


def test_a_bad_address_is_a_clear_error(oakfield: School, login_as: Login) -> None:
    response = login_as("dsl").get(logs_url(address="10.0.0.0/12"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "/8, /16 or /24" in page
    assert login_as("dsl").get(csv_url(address="not an address")).status_code == 400


def test_search_by_domain_category_and_action(oakfield: School, login_as: Login) -> None:
    event(oakfield, host="one.mix.example", category="gambling", action="block")
    event(oakfield, host="two.mix.example", category="gambling", action="allow")
    event(oakfield, host="three.mix.example", category="games", action="block")
    client = login_as("dsl")
    assert hosts(client.get(logs_url(domain="mix.example", category="Gambling"))) == {
        "one.mix.example",
        "two.mix.example",
    }
    assert hosts(client.get(logs_url(domain="mix.example", action="allow"))) == {"two.mix.example"}


def test_search_by_time(oakfield: School, login_as: Login) -> None:
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    for hours, host in [(-48, "before.time.example"), (0, "during.time.example")]:
        event(oakfield, at=day + datetime.timedelta(hours=hours), host=host)
    since = (day - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    until = (day + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = login_as("dsl").get(logs_url(domain="time.example", since=since, until=until))
    assert hosts(response) == {"during.time.example"}


def test_from_after_to_is_refused(oakfield: School, login_as: Login) -> None:
    response = login_as("dsl").get(logs_url(since="2026-02-02T10:00", until="2026-02-01T10:00"))
    assert response.status_code == 400


def test_results_are_paginated(oakfield: School, login_as: Login) -> None:
    for _ in range(55):
        event(oakfield, host="many.page.example")
    client = login_as("dsl")
    first = client.get(logs_url(domain="page.example"))
    second = client.get(logs_url(domain="page.example", page="2"))
    assert len(first.context["page"]) == 50 and len(second.context["page"]) == 5
    assert "domain=page.example&amp;page=2" in first.content.decode()


def test_every_search_is_audited(oakfield: School, login_as: Login) -> None:
    login_as("technician").get(logs_url(domain="audited.example", action="block"))
    row = AuditEvent.objects.filter(action="filterlog.searched").latest("id")
    assert row.actor_name == "technician" and row.school == oakfield
    assert row.data["domain"] == "audited.example" and row.data["action"] == "block"


# Exporting


def test_the_export_is_the_current_search_as_csv(oakfield: School, login_as: Login) -> None:
    event(oakfield, host="csv.example", username="csv.user", search_terms="fractions")
    event(oakfield, host="other.example")
    response = login_as("dsl").get(csv_url(domain="csv.example"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *body = rows(response)
    assert header[:3] == ["Time", "Source", "Action"]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["Domain"] == "csv.example" and record["User"] == "csv.user"
    assert record["Device address"] == "10.50.1.7" and record["Search terms"] == "fractions"


def test_the_export_cannot_inject_formulas(oakfield: School, login_as: Login) -> None:
    event(
        oakfield,
        host="inject.example",
        username="=HYPERLINK(1)",
        search_terms="+cmd|' /C calc'!A0",
        url="@SUM(1+1)",
        category="-2+3",
    )
    header, line = rows(login_as("dsl").get(csv_url(domain="inject.example")))
    record = dict(zip(header, line, strict=True))
    assert record["User"] == "'=HYPERLINK(1)"
    assert record["Search terms"] == "'+cmd|' /C calc'!A0"
    assert record["URL"] == "'@SUM(1+1)"
    assert record["Category"] == "'-2+3"


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1", "'=1"), ("+1", "'+1"), ("-1", "'-1"), ("@a", "'@a"), ("\tx", "'\tx"), ("ok", "ok")],
)
def test_dangerous_cells_are_made_text(value: str, safe: str) -> None:
    assert safe_cell(value) == safe


def test_the_export_is_audited_with_its_filters_and_row_count(
    oakfield: School, login_as: Login
) -> None:
    for _ in range(3):
        event(oakfield, host="counted.example")
    rows(login_as("head").get(csv_url(domain="counted.example")))
    row = AuditEvent.objects.get(action="filterlog.exported")
    assert row.actor_name == "head" and row.school == oakfield
    assert row.data == {"filters": {"domain": "counted.example"}, "rows": 3}


# Retention


@override_settings(FILTER_LOG_RETENTION_DAYS=30)
def test_purge_removes_only_rows_past_the_retention_period(oakfield: School) -> None:
    old = event(oakfield, at=NOW - datetime.timedelta(days=31))
    old_unattributed = event(None, at=NOW - datetime.timedelta(days=400))
    recent = event(oakfield, at=NOW - datetime.timedelta(days=29))
    others = FilterEvent.objects.exclude(pk__in=[old.pk, old_unattributed.pk, recent.pk]).count()
    assert retention.purge(now=NOW) == 2
    assert not FilterEvent.objects.filter(pk__in=[old.pk, old_unattributed.pk]).exists()
    assert FilterEvent.objects.filter(pk=recent.pk).exists()
    assert FilterEvent.objects.exclude(pk=recent.pk).count() == others
    row = AuditEvent.objects.get(action="filterlog.purged")
    assert row.data["rows"] == 2 and row.data["retention_days"] == 30


@override_settings(FILTER_LOG_RETENTION_DAYS=30)
def test_purge_works_in_batches(oakfield: School, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    for days in (40, 41, 42, 43, 44):
        event(oakfield, at=NOW - datetime.timedelta(days=days))
    assert retention.purge(now=NOW) == 5


@override_settings(FILTER_LOG_RETENTION_DAYS=0)
def test_a_retention_of_zero_keeps_everything(oakfield: School) -> None:
    old = event(oakfield, at=NOW - datetime.timedelta(days=4000))
    assert retention.purge(now=NOW) == 0
    assert FilterEvent.objects.filter(pk=old.pk).exists()


@override_settings(FILTER_LOG_RETENTION_DAYS=30)
def test_the_purge_command_says_how_many_rows_went(oakfield: School) -> None:
    event(oakfield, at=timezone.now() - datetime.timedelta(days=90))
    out = io.StringIO()
    assert retention.purge_command(out) == 0
    assert out.getvalue() == "Removed 1 filter log row older than 30 days.\n"
    event(oakfield, at=timezone.now() - datetime.timedelta(days=90))
    event(oakfield, at=timezone.now() - datetime.timedelta(days=91))
    out = io.StringIO()
    call_command("purge_filter_logs", stdout=out)
    assert "Removed 2 filter log rows older than 30 days." in out.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("10.2.0.31", ("10.2.0.31", True)),
        ("10.2", ("10.2.", False)),
        ("10.2.0.0/24", ("10.2.0.", False)),
        ("10.0.0.0/8", ("10.", False)),
        ("10.2.0.9/32", ("10.2.0.9", True)),
        ("2001:db8::1", ("2001:db8::1", True)),
        ("2001:DB8:", ("2001:db8:", False)),
    ],
)
def test_address_prefixes(text: str, expected: tuple[str, bool] | None) -> None:
    assert address_prefix(text) == expected


@pytest.mark.parametrize("text", ["10.0.0.0/12", "2001:db8::/48", "lunch", "10.2.0.0/99"])
def test_addresses_that_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        address_prefix(text)
