"""Who may see a school's filter logs and unblock requests, and which rows are the school's.

Rows carry a nullable school. A single-school filter node ingests events without one unless
`SAFESCHOOL_FILTER_SCHOOL` names its school; rows with no school belong to the school that
setting names, and to nobody when it is unset. Another school's row is a 404, never a 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from safeschool.accounts.permissions import has_capability, require
from safeschool.accounts.roles import Capability
from safeschool.filterlog.models import FilterEvent, UnblockRequest
from safeschool.schools.models import School

QUEUE_CAPABILITIES = (Capability.FILTERING_CHANGE, Capability.FILTERING_EMERGENCY)


def _school_rows(school: School) -> Q:
    """The school's own rows, plus unattributed rows when this node serves the school."""
    if settings.FILTER_SCHOOL and school.slug == settings.FILTER_SCHOOL:
        return Q(school=school) | Q(school__isnull=True)
    return Q(school=school)


def events_for(user: Any, school: School) -> QuerySet[FilterEvent]:
    """The filter log: for anyone with `filtering:read` (the safeguarding team, the
    technician, the headteacher and the online-safety lead)."""
    require(user, school, Capability.FILTERING_READ)
    return FilterEvent.objects.filter(_school_rows(school))


def may_handle_requests(user: Any, school: School) -> bool:
    """The unblock queue is for those who run the filter or answer for safeguarding: the
    technician and online-safety lead (`filtering:change`), the DSL and deputies
    (`filtering:emergency`)."""
    return has_capability(user, school, Capability.FILTERING_READ) and any(
        has_capability(user, school, c) for c in QUEUE_CAPABILITIES
    )


def requests_for(user: Any, school: School) -> QuerySet[UnblockRequest]:
    if not may_handle_requests(user, school):
        raise PermissionDenied("Unblock requests are for the technician and safeguarding team.")
    return UnblockRequest.objects.filter(_school_rows(school)).select_related(
        "requested_by", "decided_by"
    )


def get_request_for(user: Any, school: School, request_id: Any) -> UnblockRequest:
    return get_object_or_404(requests_for(user, school), pk=request_id)
