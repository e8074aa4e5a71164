"""Telling people: an in-app notification and an e-mail, sent once the transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from safeschool.notifications.models import Notification
from safeschool.schools.models import School

log = logging.getLogger(__name__)


def notify(
    users: Iterable[Any],
    school: School,
    *,
    message: str,
    url: str,
    subject: str,
    body: str,
    urgent: bool = False,
) -> list[Notification]:
    """Notify each user in the app now, and by e-mail after commit. E-mails carry no names of
    children: only what is needed to go and look, behind a log-in."""
    recipients = list({u.pk: u for u in users}.values())
    created = [
        Notification.objects.create(user=u, school=school, message=message, url=url, urgent=urgent)
        for u in recipients
    ]
    addresses = [u.email for u in recipients if u.email]

    def send() -> None:
        for address in addresses:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
            except OSError:
                # The in-app notification stands; the failure is logged for the administrator.
                log.exception("Could not e-mail %s", address)

    transaction.on_commit(send)
    return created


def mark_read(user: Any, notification_id: Any) -> None:
    Notification.objects.filter(user=user, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
