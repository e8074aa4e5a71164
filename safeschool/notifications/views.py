from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from safeschool.notifications.models import Notification
from safeschool.notifications.services import mark_read


def _user(request: HttpRequest) -> Any:
    return request.user


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(user=_user(request)).select_related("school")[:100]
    return render(request, "notifications/inbox.html", {"notes": notes})


@require_POST
def open_notification(request: HttpRequest, notification_id: str) -> HttpResponse:
    """Mark it read, then go to what it is about."""
    note = Notification.objects.filter(user=_user(request), pk=notification_id).first()
    if note is None:
        return redirect("notifications:inbox")
    mark_read(request.user, note.pk)
    safe = url_has_allowed_host_and_scheme(note.url, {request.get_host()})
    return redirect(note.url if note.url and safe else "notifications:inbox")
