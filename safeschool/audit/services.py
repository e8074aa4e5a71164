"""Writing to the audit log. Every service that reads or changes a protected record calls
`record` inside its transaction."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django.http import HttpRequest

from safeschool.audit.models import AuditEvent
from safeschool.schools.models import School

MASK = "********"
_SECRET_KEY_NAMES = re.compile(
    r"pass(word)?|secret|token|api[_-]?key|credential|authori[sz]ation|cookie|session",
    re.IGNORECASE,
)


def mask_secrets(value: Any) -> Any:
    """A copy of a JSON-like value with every secret-looking key's value replaced by a mask."""
    if isinstance(value, dict):
        return {
            key: MASK if _SECRET_KEY_NAMES.search(str(key)) else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    return value


def client_address(request: HttpRequest | None) -> str | None:
    """The address the request came from (REMOTE_ADDR; proxies set it via the WSGI server)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: Any = None,
    school: School | None = None,
    subject: models.Model | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one row to the audit log. `action` is namespaced, such as "pupil.viewed"."""
    if "." not in action:
        raise ValueError(f"Audit actions are namespaced like 'concern.viewed', not {action!r}")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        action=action,
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "",
        school=school,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        subject_label=str(subject)[:200] if subject is not None else "",
        data=mask_secrets(data or {}),
        address=client_address(request),
    )
