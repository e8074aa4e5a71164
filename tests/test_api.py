from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from safeschool.audit.models import AuditEvent
from safeschool.concerns.models import Concern
from safeschool.people.models import Pupil
from safeschool.schools.models import School

pytestmark = pytest.mark.django_db


def token_for(username: str) -> str:
    out = StringIO()
    call_command("create_token", username, stdout=out)
    return out.getvalue().strip()


def api(username: str | None) -> Client:
    headers = {"Authorization": f"Bearer {token_for(username)}"} if username else {}
    return Client(headers=headers)


def _post(client: Client, body: Any) -> Any:
    return client.post("/api/v1/concerns/", json.dumps(body), content_type="application/json")


def test_pupil_search_returns_the_token_schools_pupils_only(oakfield_pupil: Pupil) -> None:
    found = api("teacher").get("/api/v1/pupils/", {"search": oakfield_pupil.last_name}).json()
    assert {
        "id": str(oakfield_pupil.pk),
        "first_name": oakfield_pupil.first_name,
        "last_name": oakfield_pupil.last_name,
        "name": oakfield_pupil.full_name,
        "year_group": oakfield_pupil.get_year_group_display(),
    } in found["results"]
    other = api("riverside-dsl").get("/api/v1/pupils/", {"search": oakfield_pupil.last_name})
    assert str(oakfield_pupil.pk) not in other.content.decode()


def test_record_a_concern_then_read_it_back(oakfield_pupil: Pupil) -> None:
    client = api("teacher")
    created = _post(
        client,
        {
            "pupils": [{"id": str(oakfield_pupil.pk), "role": "subject"}],
            "category": "content",
            "type": "harmful_content",
            "summary": "Saw a violent video on a tablet.",
            "urgent": True,
        },
    )
    assert created.status_code == 201
    concern = Concern.objects.get(pk=created.json()["id"])
    assert concern.urgent and concern.reporter.username == "teacher"
    read = client.get(f"/api/v1/concerns/{concern.pk}/")
    assert read.status_code == 200
    assert read.json()["pupils"] == [
        {"id": str(oakfield_pupil.pk), "name": oakfield_pupil.full_name, "role": "subject"}
    ]
    assert "referrals" not in read.json(), "the reporter does not see the handling"
    assert AuditEvent.objects.filter(action="concern.viewed", data__via="api").exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"pupils": [], "category": "content", "type": "other", "summary": "x"}, "pupils"),
        (
            {
                "pupils": [{"id": "not-a-uuid", "role": "subject"}],
                "category": "content",
                "type": "other",
                "summary": "x",
            },
            "pupils",
        ),
        ({"pupils": "a string", "category": "content", "type": "other", "summary": "x"}, "pupils"),
        ({"pupils": "PUPIL", "category": "colour", "type": "other", "summary": "x"}, "category"),
        ({"pupils": "PUPIL", "category": "content", "type": "nope", "summary": "x"}, "type"),
        ({"pupils": "PUPIL", "category": "content", "type": "other", "summary": " "}, "summary"),
        (
            {
                "pupils": "PUPIL",
                "category": "content",
                "type": "other",
                "summary": "x",
                "urgent": "yes",
            },
            "urgent",
        ),
    ],
)
def test_bad_bodies_get_field_errors_and_save_nothing(
    oakfield_pupil: Pupil, body: dict[str, Any], field: str
) -> None:
    if body["pupils"] == "PUPIL":
        body["pupils"] = [{"id": str(oakfield_pupil.pk), "role": "subject"}]
    before = Concern.objects.count()
    response = _post(api("teacher"), body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Concern.objects.count() == before


def test_malformed_json_is_a_400() -> None:
    client = api("teacher")
    assert (
        client.post("/api/v1/concerns/", "{not json", content_type="application/json").status_code
        == 400
    )
    assert _post(client, ["a list"]).status_code == 400


def test_another_schools_pupil_is_refused(riverside_pupil: Pupil) -> None:
    response = _post(
        api("teacher"),
        {
            "pupils": [{"id": str(riverside_pupil.pk), "role": "subject"}],
            "category": "content",
            "type": "other",
            "summary": "x",
        },
    )
    assert response.status_code == 400


def test_concern_is_404_for_those_not_allowed(oakfield: School) -> None:
    concern = Concern.objects.get(school=oakfield, concern_type="online_bullying")
    url = f"/api/v1/concerns/{concern.pk}/"
    assert api("dsl").get(url).status_code == 200
    assert "referrals" in api("dsl").get(url).json()
    assert api("riverside-dsl").get(url).status_code == 404
    assert api("technician").get(url).status_code == 404
    assert api(None).get(url).status_code == 401
    assert Client(headers={"Authorization": "Bearer ss_wrong"}).get(url).status_code == 401


def test_openapi_describes_the_endpoints() -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/pupils/", "/api/v1/concerns/", "/api/v1/concerns/{id}/"} <= set(spec["paths"])


def test_create_token_needs_a_real_user() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No active user"):
        call_command("create_token", "nobody")
