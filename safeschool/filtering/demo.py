"""The demo school's filtering: groups by key stage, staff and guests, an approved initial
policy (version 1), a change waiting for approval, an emergency block and a rejected change.
All through change control, as a school would do it."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.test.utils import override_settings

from safeschool.accounts.models import User
from safeschool.filtering import services, sources
from safeschool.filtering.models import (
    BlocklistSource,
    Change,
    FilterGroup,
    GroupCategory,
    Schedule,
)
from safeschool.schools.models import School

LISTS = Path(__file__).parent / "demo_lists"
PUPIL_BLOCKS = [
    "pornography",
    "discrimination",
    "drugs",
    "extremism",
    "gambling",
    "malware_hacking",
    "piracy",
    "self_harm",
    "violence",
    "social_media",
    "gaming",
    "chat",
]
STAFF_BLOCKS = [
    "pornography",
    "discrimination",
    "drugs",
    "extremism",
    "gambling",
    "malware_hacking",
    "piracy",
    "self_harm",
    "violence",
]


def seed_filtering() -> None:
    school = School.objects.get(slug="oakfield")
    users = {u.username: u for u in User.objects.filter(memberships__school=school)}
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _groups(school)
        _sources(school, users["technician"])
        initial = Change.objects.create(
            school=school,
            kind=Change.Kind.INITIAL,
            summary="Initial filtering policy",
            payload={},
            reason="The school's filtering policy as agreed by the governors.",
            risk_assessment="Pupils: every UKSIC category, social media, games and chat blocked; "
            "staff: social media at lunch only; guests: no access.",
            proposed_by=users["technician"],
        )
        services.approve(users["head"], initial, "Agreed at the governors' meeting.")
        _examples(school, users)


def _groups(school: School) -> None:
    lunch = Schedule.objects.create(
        school=school, name="lunch", start=datetime.time(12), end=datetime.time(13)
    )
    specs = [
        ("early-years-ks1", "Early Years and Key Stage 1", "10.10.0.0/16", PUPIL_BLOCKS, False),
        # In the demo this computer (127.0.0.1) is a Key Stage 2 pupil's device, so that the
        # DNS filter on 127.0.0.1:5353 can be tried from it.
        ("ks2", "Key Stage 2", "10.11.0.0/16\n127.0.0.0/8", PUPIL_BLOCKS, False),
        ("staff", "Staff", "10.20.0.0/16", STAFF_BLOCKS, False),
        ("guests", "Guests and visitors", "10.30.0.0/16", [], True),
    ]
    for position, (name, label, addresses, blocks, no_access) in enumerate(specs):
        group = FilterGroup.objects.create(
            school=school,
            name=name,
            label=label,
            position=position,
            addresses=addresses,
            no_access=no_access,
        )
        for category in blocks:
            GroupCategory.objects.create(group=group, category=category)
        if name == "staff":
            GroupCategory.objects.create(
                group=group, category="social_media", when="outside", schedule=lunch
            )
            group.usernames = "\n".join(["dsl", "deputy", "head", "teacher", "technician"])
            group.save()


def _sources(school: School, technician: User) -> None:
    for name, category in [
        ("gambling.txt", "gambling"),
        ("social.txt", "social_media"),
        ("adult.txt", "pornography"),
    ]:
        source = BlocklistSource.objects.create(
            school=school,
            name=f"Demo {category.replace('_', ' ')} list",
            category=category,
            added_by=technician,
        )
        sources.refresh(source, (LISTS / name).read_bytes())


def _examples(school: School, users: dict[str, User]) -> None:
    ks2 = FilterGroup.objects.get(school=school, name="ks2")
    services.propose(
        users["technician"],
        school,
        kind=Change.Kind.ALLOW,
        group=ks2,
        payload={"entries": ["youtube.com/@oakfieldscience"]},
        reason="Year 5 science uses the school's own channel for experiments.",
        risk_assessment="Channel run by staff; comments are off; restricted mode stays on.",
    )
    services.emergency_block(
        users["dsl"],
        school,
        entries=["scary-challenge-demo.example"],
        reason="A harmful online 'challenge' reported by parents this morning.",
    )
    rejected = services.propose(
        users["technician"],
        school,
        kind=Change.Kind.UNBLOCK_CATEGORY,
        group=FilterGroup.objects.get(school=school, name="staff"),
        payload={"category": "gambling"},
        reason="A member of staff asked to check a lottery result.",
        risk_assessment="Low: staff only.",
    )
    services.reject(users["head"], rejected, "Not needed for school work; use a phone at break.")
