"""Who is behind a filter user name: a pupil, or an adult's account."""

from __future__ import annotations

from django.db.models import Q

from safeschool.accounts.models import User
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School


def identify(school: School, username: str) -> tuple[Pupil | None, User | None]:
    """The pupil or the member of staff's account a network user name belongs to."""
    if not username:
        return None, None
    name = username.strip().lower()
    pupil = (
        Pupil.objects.filter(
            Q(network_username__iexact=name) | Q(user__username__iexact=name), school=school
        )
        .select_related("user")
        .first()
    )
    if pupil is not None:
        return pupil, pupil.user
    adult = (
        Adult.objects.filter(
            Q(network_username__iexact=name) | Q(user__username__iexact=name), school=school
        )
        .select_related("user")
        .first()
    )
    if adult is not None:
        return None, adult.user
    return None, None
