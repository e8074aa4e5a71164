"""Rendering pages that belong to one school, with what the navigation needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safeschool.accounts.permissions import capabilities_at, roles_at
from safeschool.accounts.roles import Role
from safeschool.schools.models import School


def render_school(
    request: HttpRequest,
    school: School,
    template: str,
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render a school page; templates test capabilities with `"people:read" in caps`."""
    full = {
        "school": school,
        "caps": {str(c) for c in capabilities_at(request.user, school)},
        "role_names": sorted(Role(r).label for r in roles_at(request.user, school)),
        **(context or {}),
    }
    return render(request, template, full, status=status)
