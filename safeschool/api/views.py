"""The JSON API (version 1). Described by /api/v1/openapi.json."""

from __future__ import annotations

import ipaddress
import json
import uuid
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods

from safeschool.accounts.permissions import has_capability
from safeschool.accounts.roles import Capability
from safeschool.api.auth import token_required
from safeschool.api.openapi import SPEC
from safeschool.audit import services as audit
from safeschool.concerns import access, services
from safeschool.concerns.models import Category, Concern, ConcernType, PupilRole
from safeschool.people.access import search_pupils
from safeschool.people.models import Pupil
from safeschool.schools.models import School


def _forbidden() -> JsonResponse:
    return JsonResponse({"detail": "This token's user may not do that."}, status=403)


@require_GET
@token_required
def pupils(request: HttpRequest, school: School) -> HttpResponse:
    if not has_capability(request.user, school, Capability.CONCERNS_RECORD):
        return _forbidden()
    text = request.GET.get("search", "").strip()
    found = search_pupils(Pupil.objects.filter(school=school), text)[:25] if text else []
    return JsonResponse(
        {
            "results": [
                {
                    "id": str(p.pk),
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "name": p.full_name,
                    "year_group": p.get_year_group_display(),
                }
                for p in found
            ]
        }
    )


def _parse_pupils(school: School, raw: Any, errors: dict[str, list[str]]) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        errors["pupils"] = ['Give a list of pupils, each {"id": ..., "role": ...}.']
        return []
    chosen: list[Any] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            errors.setdefault("pupils", []).append(f"Item {index} must be an object.")
            continue
        try:
            pupil = Pupil.objects.get(school=school, pk=uuid.UUID(str(item.get("id"))))
        except (ValueError, Pupil.DoesNotExist):
            errors.setdefault("pupils", []).append(f"Item {index}: no such pupil.")
            continue
        if item.get("role") not in PupilRole.values:
            errors.setdefault("pupils", []).append(
                f"Item {index}: role must be one of {', '.join(PupilRole.values)}."
            )
            continue
        chosen.append((pupil, item["role"]))
    return chosen


def _parse_concern(school: School, body: dict[str, Any]) -> services.NewConcern:
    errors: dict[str, list[str]] = {}
    chosen = _parse_pupils(school, body.get("pupils"), errors)
    if body.get("category") not in Category.values:
        errors["category"] = [f"Must be one of {', '.join(Category.values)}."]
    if body.get("type") not in ConcernType.values:
        errors["type"] = [f"Must be one of {', '.join(ConcernType.values)}."]
    summary = body.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = ["Say what was seen or heard."]
    if not isinstance(body.get("urgent", False), bool):
        errors["urgent"] = ["Must be true or false."]
    for name in ("location", "immediate_action"):
        if not isinstance(body.get(name, ""), str):
            errors[name] = ["Must be text."]
    if errors:
        raise ValidationError(errors)
    return services.NewConcern(
        category=body["category"],
        concern_type=body["type"],
        account=str(summary),
        urgent=bool(body.get("urgent", False)),
        pupils=chosen,
        location=body.get("location", ""),
        immediate_action=body.get("immediate_action", ""),
    )


@require_http_methods(["POST"])
@token_required
def concerns(request: HttpRequest, school: School) -> HttpResponse:
    if not has_capability(request.user, school, Capability.CONCERNS_RECORD):
        return _forbidden()
    try:
        body = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JsonResponse({"errors": {"body": ["Send a JSON object."]}}, status=400)
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"body": ["Send a JSON object."]}}, status=400)
    try:
        concern = services.record_concern(request.user, school, _parse_concern(school, body))
    except ValidationError as error:
        return JsonResponse(
            {
                "errors": error.message_dict
                if hasattr(error, "error_dict")
                else {"body": error.messages}
            },
            status=400,
        )
    except PermissionDenied:
        return _forbidden()
    return JsonResponse({"id": str(concern.pk), "reference": concern.reference}, status=201)


def _concern_json(user: Any, concern: Concern) -> dict[str, Any]:
    account = concern.current_account
    data: dict[str, Any] = {
        "id": str(concern.pk),
        "reference": concern.reference,
        "recorded_at": concern.recorded_at.isoformat(),
        "category": concern.category,
        "type": concern.concern_type,
        "urgent": concern.urgent,
        "status": concern.status,
        "summary": account.text if account else "",
        "pupils": [
            {"id": str(link.pupil_id), "name": link.pupil.full_name, "role": link.role}
            for link in concern.pupil_links.select_related("pupil")
        ],
    }
    if access.can_see_handling(user, concern):
        data["owner"] = concern.owner.get_username() if concern.owner else None
        data["referrals"] = [
            {"agency": r.agency, "referred_on": r.referred_on.isoformat(), "reference": r.reference}
            for r in concern.referral_set.all()
        ]
        data["outcome"] = concern.outcome
    return data


@require_GET
@token_required
def concern(request: HttpRequest, school: School, concern_id: str) -> HttpResponse:
    try:
        found = access.get_concern_for(request.user, school, concern_id)
    except Http404:
        return JsonResponse({"detail": "Not found."}, status=404)
    audit.record(
        "concern.viewed",
        actor=request.user,
        school=school,
        subject=found,
        data={"via": "api"},
        request=request,
    )
    return JsonResponse(_concern_json(request.user, found))


@login_not_required
@require_GET
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(SPEC)


def _parse_alert(body: dict[str, Any]) -> dict[str, Any]:
    from safeschool.monitoring.models import MonitoringCategory

    errors: dict[str, list[str]] = {}
    severity = body.get("severity")
    if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 5:
        errors["severity"] = ["A whole number from 1 to 5."]
    if body.get("category") not in MonitoringCategory.values:
        errors["category"] = [f"Must be one of {', '.join(MonitoringCategory.values)}."]
    for name in ("text", "source"):
        if not isinstance(body.get(name), str) or not body[name].strip():
            errors[name] = ["Required text."]
    for name in ("username", "device"):
        if not isinstance(body.get(name, ""), str):
            errors[name] = ["Must be text."]
    client = body.get("client")
    if client is not None:
        try:
            ipaddress.ip_address(str(client))
        except ValueError:
            errors["client"] = ["Must be an IP address."]
    at = None
    if body.get("at") is not None:
        at = parse_datetime(str(body["at"])) if isinstance(body["at"], str) else None
        if at is None or at.tzinfo is None:
            errors["at"] = ["An ISO 8601 date and time with its offset."]
    if not isinstance(body.get("context", []), list):
        errors["context"] = ["Must be a list."]
    if errors:
        raise ValidationError(errors)
    return {
        "severity": severity,
        "category": body["category"],
        "text": body["text"][:2000],
        "source": body["source"][:60],
        "username": body.get("username", "")[:150],
        "device": body.get("device", "")[:150],
        "client": client,
        "at": at,
        "context": body.get("context", [])[:50],
    }


def _alert_json(alert: Any) -> dict[str, Any]:
    return {
        "id": str(alert.pk),
        "severity": alert.severity,
        "category": alert.category,
        "rule": alert.rule,
        "source": alert.source,
        "status": alert.status,
        "who": alert.who,
        "client": alert.client,
        "first_at": alert.first_at.isoformat(),
        "last_at": alert.last_at.isoformat(),
        "event_count": alert.event_count,
        "matched_text": alert.matched_text,
        "concern": str(alert.concern_id) if alert.concern_id else None,
    }


@require_http_methods(["GET", "POST"])
@token_required
def alerts(request: HttpRequest, school: School) -> HttpResponse:
    from safeschool.monitoring import services as monitoring
    from safeschool.monitoring.access import alerts_for

    if request.method == "GET":
        if not has_capability(request.user, school, Capability.MONITORING_TRIAGE):
            return JsonResponse({"detail": "Not found."}, status=404)
        found = alerts_for(request.user, school).order_by("-last_at")
        status = request.GET.get("status")
        if status:
            found = found.filter(status=status)
        audit.record(
            "alert.listed", actor=request.user, school=school, data={"via": "api"}, request=request
        )
        return JsonResponse({"results": [_alert_json(a) for a in found[:200]]})
    if not has_capability(request.user, school, Capability.MONITORING_FEED):
        return _forbidden()
    try:
        body = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        return JsonResponse({"errors": {"body": ["Send a JSON object."]}}, status=400)
    try:
        alert = monitoring.record_external_alert(request.user, school, **_parse_alert(body))
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)
    return JsonResponse({"id": str(alert.pk)}, status=201)
