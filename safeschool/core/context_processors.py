from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from safeschool.accounts.permissions import schools_for
from safeschool.notifications.models import Notification


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The schools the user can switch between, for the header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_schools": list(schools_for(user).only("name", "slug")),
        "unread_notifications": Notification.objects.filter(
            user=user, read_at__isnull=True
        ).count(),
    }
