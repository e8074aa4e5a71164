"""Fetching people records: always scoped to the user's school, so another school's pupil is
a 404 whatever its identifier."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from safeschool.accounts.permissions import require
from safeschool.accounts.roles import Capability
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School


def pupils_for(user: Any, school: School) -> QuerySet[Pupil]:
    require(user, school, Capability.PEOPLE_READ)
    return Pupil.objects.filter(school=school).select_related("school_class")


def get_pupil_for(user: Any, school: School, pupil_id: Any) -> Pupil:
    return get_object_or_404(pupils_for(user, school), pk=pupil_id)


def search_pupils(queryset: QuerySet[Pupil], text: str) -> QuerySet[Pupil]:
    """Pupils whose first or last name (or "first last") contains the text, any case."""
    text = " ".join(text.split())
    if not text:
        return queryset
    query = Q()
    for word in text.split(" "):
        query &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    return queryset.filter(query)


def adults_for(user: Any, school: School) -> QuerySet[Adult]:
    require(user, school, Capability.PEOPLE_READ)
    return Adult.objects.filter(school=school)
