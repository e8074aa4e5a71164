from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django.urls import reverse

from safeschool.accounts.models import User
from safeschool.audit import services as audit
from safeschool.audit.models import AppendOnlyError, AuditEvent
from safeschool.people.models import Pupil
from safeschool.schools.models import School


def test_rows_cannot_be_changed_or_deleted_through_the_code(oakfield: School) -> None:
    event = audit.record("test.written", school=oakfield, data={"a": 1})
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.written"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'x.y' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
)
def test_postgresql_itself_refuses_changes(oakfield: School, sql: str) -> None:
    event = audit.record("test.written", school=oakfield)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, action="test.written").exists()


def test_secrets_are_masked_at_any_depth(oakfield: School) -> None:
    event = audit.record(
        "test.written",
        school=oakfield,
        data={
            "password": "hunter2hunter2",
            "nested": {"api_key": "abc", "ok": "kept"},
            "list": [{"Token": "t"}],
        },
    )
    assert event.data == {
        "password": audit.MASK,
        "nested": {"api_key": audit.MASK, "ok": "kept"},
        "list": [{"Token": audit.MASK}],
    }


def test_actions_must_be_namespaced() -> None:
    with pytest.raises(ValueError, match="namespaced"):
        audit.record("viewed")


def test_viewing_a_pupil_is_audited(
    login_as: Callable[[str], Client], oakfield: School, oakfield_pupil: Pupil
) -> None:
    url = reverse("people:pupil", args=["oakfield", oakfield_pupil.pk])
    assert login_as("teacher").get(url).status_code == 200
    event = AuditEvent.objects.filter(action="pupil.viewed").first()
    assert event is not None
    assert event.actor_name == "teacher"
    assert event.school == oakfield
    assert event.subject_id == str(oakfield_pupil.pk)
    assert event.data == {"sensitive": False}


def test_refused_pupil_view_writes_no_read_row(
    login_as: Callable[[str], Client], oakfield_pupil: Pupil
) -> None:
    url = reverse("people:pupil", args=["oakfield", oakfield_pupil.pk])
    assert login_as("governor").get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="pupil.viewed").exists()


def test_audit_page_shows_members_log_ins_and_searches(
    login_as: Callable[[str], Client], client: Client
) -> None:
    client.post(reverse("accounts:login"), {"username": "teacher", "password": "oakfield-demo"})
    Client().post(
        reverse("accounts:login"), {"username": "riverside-dsl", "password": "oakfield-demo"}
    )
    page = login_as("dsl").get(
        reverse("audit:log", args=["oakfield"]), {"action": "user.logged_in"}
    )
    body = page.content.decode()
    assert page.status_code == 200
    assert "teacher" in body
    assert "riverside-dsl" not in body, "another school's log-ins must not show"


def test_audit_search_rejects_backwards_dates(login_as: Callable[[str], Client]) -> None:
    page = login_as("head").get(
        reverse("audit:log", args=["oakfield"]), {"since": "2026-02-01", "until": "2026-01-01"}
    )
    assert "must not be after" in page.content.decode()
    assert "Nothing matches" in page.content.decode()


def test_reading_the_audit_log_is_itself_audited(login_as: Callable[[str], Client]) -> None:
    login_as("head").get(reverse("audit:log", args=["oakfield"]), {"q": "pupil"})
    event = AuditEvent.objects.get(action="audit.searched")
    assert event.actor == User.objects.get(username="head")
    assert event.data == {"q": "pupil"}
