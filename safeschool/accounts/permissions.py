"""The one place that answers "may this user do this at this school?"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from safeschool.accounts.models import User
from safeschool.accounts.roles import SAFEGUARDING_TEAM_ROLES, Capability, capabilities_for
from safeschool.schools.models import School

_CACHE_ATTR = "_safeschool_roles"


def roles_at(user: Any, school: School) -> frozenset[str]:
    """The roles the user holds at the school, read once per user object."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cache: dict[Any, frozenset[str]] | None = getattr(user, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        for school_id, role in user.memberships.values_list("school_id", "role"):
            cache[school_id] = cache.get(school_id, frozenset()) | {role}
        setattr(user, _CACHE_ATTR, cache)
    return cache.get(school.pk, frozenset())


def capabilities_at(user: Any, school: School) -> frozenset[Capability]:
    return capabilities_for(set(roles_at(user, school)))


def has_capability(user: Any, school: School, capability: Capability | str) -> bool:
    return Capability(capability) in capabilities_at(user, school)


def require(user: Any, school: School, capability: Capability | str) -> None:
    """Refuse (403) a member of the school who lacks the capability."""
    if not has_capability(user, school, capability):
        raise PermissionDenied(f"This needs the {capability} permission.")


def holders_of(school: School, roles: Iterable[str]) -> QuerySet[User]:
    """The active users holding any of these roles at the school (for notifications)."""
    return User.objects.filter(
        memberships__school=school, memberships__role__in=list(roles), is_active=True
    ).distinct()


def safeguarding_team(school: School) -> list[User]:
    """The school's DSL and deputies."""
    return list(holders_of(school, SAFEGUARDING_TEAM_ROLES))


def schools_for(user: Any) -> QuerySet[School]:
    """The schools the user has any role at."""
    if not getattr(user, "is_authenticated", False):
        return School.objects.none()
    return School.objects.filter(memberships__user=user).distinct()


def get_school_for(user: Any, slug: str) -> School:
    """The school with this slug, if the user belongs to it; otherwise 404, so that the
    existence of other schools is not revealed."""
    school = School.objects.filter(slug=slug).select_related("trust").first()
    if school is None or not roles_at(user, school):
        raise Http404("No such school.")
    return school
