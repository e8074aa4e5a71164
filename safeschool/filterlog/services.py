"""Unblock requests from the block page: created here, with their audit row. Deciding them
is in `unblock.py`."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from safeschool.audit import services as audit
from safeschool.audit.services import client_address
from safeschool.filterlog.models import UnblockRequest
from safeschool.schools.models import School

MAX_PER_HOUR = 20


@transaction.atomic
def request_unblock(
    request: HttpRequest,
    *,
    url: str,
    category: str = "",
    rule: str = "",
    group: str = "",
    reason: str = "",
) -> UnblockRequest:
    """Record that someone thinks a blocked page should be allowed. Anyone may ask, signed in
    or not (a blocked child may not be); one address may ask only so often."""
    address = client_address(request)
    since = timezone.now() - datetime.timedelta(hours=1)
    if UnblockRequest.objects.filter(client=address, created_at__gte=since).count() >= (
        MAX_PER_HOUR
    ):
        raise PermissionDenied("Too many requests from this device. Please ask a teacher.")
    user: Any = request.user if request.user.is_authenticated else None
    unblock = UnblockRequest.objects.create(
        url=url,
        category=category,
        rule=rule,
        group=group,
        reason=reason,
        client=address,
        requested_by=user,
        school=_node_school(),
    )
    audit.record(
        "unblock.requested",
        actor=user,
        subject=unblock,
        school=unblock.school,
        data={"url": url, "category": category, "rule": rule, "group": group},
        request=request,
    )
    return unblock


def _node_school() -> School | None:
    """The school this filter node serves (`SAFESCHOOL_FILTER_SCHOOL`), if it names one."""
    if not settings.FILTER_SCHOOL:
        return None
    return School.objects.filter(slug=settings.FILTER_SCHOOL).first()
