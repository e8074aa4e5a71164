"""Who may see which concern. Every view fetches concerns through these functions.

- Concerns about children: the reporter sees their own; the safeguarding team and the
  headteacher (`concerns:read_all`) see all of the school's.
- Allegations and low-level concerns about adults: only the case managers (the DSL and the
  headteacher; when the headteacher is the subject, the DSL and the chair of governors) and the
  reporter, and never the person the allegation is about, whatever their role.
- The handling (actions, decisions, referrals…) is for the team or the case managers; the
  reporter sees it only when granted.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from safeschool.accounts.permissions import has_capability, roles_at
from safeschool.accounts.roles import Capability, Role
from safeschool.concerns.models import Concern
from safeschool.people.models import Adult
from safeschool.schools.models import School


def _own_adult_ids(user: Any, school: School) -> list[Any]:
    return list(Adult.objects.filter(school=school, user=user).values_list("pk", flat=True))


def allegation_scope(user: Any, school: School) -> Q:
    """The concerns about adults this user manages as case manager."""
    roles = roles_at(user, school)
    if Role.DSL in roles:
        return Q(about_adult__isnull=False)
    scope = Q(pk__in=[])
    if Role.HEADTEACHER in roles:
        scope |= Q(about_adult__isnull=False, about_headteacher=False)
    if Role.CHAIR_OF_GOVERNORS in roles:
        scope |= Q(about_adult__isnull=False, about_headteacher=True)
    return scope


def visible_concerns(user: Any, school: School) -> QuerySet[Concern]:
    """Every concern at the school this user may open."""
    visible = allegation_scope(user, school) | Q(reporter=user)
    if has_capability(user, school, Capability.CONCERNS_READ_ALL):
        visible |= Q(about_adult__isnull=True)
    return (
        Concern.objects.filter(school=school)
        .filter(visible)
        .exclude(about_adult__in=_own_adult_ids(user, school))
    )


def managed_concerns(user: Any, school: School) -> QuerySet[Concern]:
    """The concerns this user may handle: triage, act, refer, close."""
    managed = allegation_scope(user, school)
    if has_capability(user, school, Capability.CONCERNS_MANAGE):
        managed |= Q(about_adult__isnull=True)
    return (
        Concern.objects.filter(school=school)
        .filter(managed)
        .exclude(about_adult__in=_own_adult_ids(user, school))
    )


def get_concern_for(user: Any, school: School, concern_id: Any) -> Concern:
    """The concern if this user may see it, else 404 (its existence is not revealed)."""
    return get_object_or_404(
        visible_concerns(user, school).select_related("reporter", "owner", "about_adult"),
        pk=concern_id,
    )


def can_manage(user: Any, concern: Concern) -> bool:
    return managed_concerns(user, concern.school).filter(pk=concern.pk).exists()


def can_see_handling(user: Any, concern: Concern) -> bool:
    if can_manage(user, concern):
        return True
    if has_capability(user, concern.school, Capability.CONCERNS_READ_ALL) and (
        not concern.is_allegation
    ):
        return True
    return concern.reporter_id == user.pk and concern.reporter_sees_handling


def is_headteacher(adult: Adult) -> bool:
    """Whether the adult is the school's headteacher, by their log-in's role or the register."""
    from safeschool.schools.models import KeyPerson, KeyRole

    if adult.user_id and Role.HEADTEACHER in roles_at(adult.user, adult.school):
        return True
    return (
        KeyPerson.objects.current()
        .filter(school=adult.school, person=adult, role=KeyRole.HEADTEACHER)
        .exists()
    )
