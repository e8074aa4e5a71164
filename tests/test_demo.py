from __future__ import annotations

import pytest

from safeschool.accounts.models import Membership, User
from safeschool.core import demo
from safeschool.people.models import Adult, Carer, Pupil
from safeschool.schools.models import School

pytestmark = pytest.mark.django_db


def test_oakfield_has_about_200_pupils_from_reception_to_year_6_with_carers() -> None:
    oakfield = School.objects.get(slug="oakfield")
    pupils = Pupil.objects.filter(school=oakfield)
    assert 180 <= pupils.count() <= 220
    assert set(pupils.values_list("year_group", flat=True)) == {"R", "1", "2", "3", "4", "5", "6"}
    assert not pupils.filter(school_class__isnull=True).exists()
    assert not pupils.filter(carer_links__isnull=True).exists()
    assert 22 <= Adult.objects.filter(school=oakfield).count() <= 30


def test_riverside_is_smaller_and_separate() -> None:
    riverside = School.objects.get(slug="riverside")
    assert 0 < Pupil.objects.filter(school=riverside).count() < 100
    assert riverside.trust == School.objects.get(slug="oakfield").trust
    assert not Carer.objects.filter(school=riverside, children__school__slug="oakfield").exists()


def test_demo_accounts_have_their_roles() -> None:
    roles = {
        (m.user.username, m.school.slug, m.role)
        for m in Membership.objects.select_related("user", "school")
    }
    assert ("dsl", "oakfield", "dsl") in roles
    assert ("head", "oakfield", "headteacher") in roles
    assert ("chair", "oakfield", "chair_of_governors") in roles
    assert ("riverside-dsl", "riverside", "dsl") in roles
    assert not any(u == "riverside-dsl" and s == "oakfield" for u, s, _ in roles)


def test_seeding_twice_is_refused() -> None:
    with pytest.raises(RuntimeError, match="already exist"):
        demo.seed()
    assert User.objects.filter(username="dsl").count() == 1
