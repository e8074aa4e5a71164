"""The demo trust: two invented schools, their people, and the demo log-ins.

Every name here is made up by combining common first names and surnames at random; no real
pupil, parent or member of staff is described. The same seed always gives the same data.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction

from safeschool.accounts.models import Membership, User
from safeschool.accounts.roles import Role
from safeschool.audit import services as audit
from safeschool.people.models import Adult, AdultKind, Carer, CarerLink, Pupil, SchoolClass
from safeschool.schools.models import KeyPerson, KeyRole, School, Trust

DEMO_PASSWORD = "oakfield-demo"  # noqa: S105 - the published demo password, demo mode only

FIRST_NAMES = """
    Amelia Olivia Isla Ava Mia Ivy Lily Isabella Rosie Sophia Grace Freya Willow Florence
    Emily Ella Poppy Evie Elsie Charlotte Evelyn Sienna Daisy Phoebe Harper Aisha Zara
    Maryam Noah Oliver George Arthur Leo Muhammad Harry Oscar Archie Henry Theodore Freddie
    Jack Charlie Theo Alfie Jacob Thomas Finley Arlo Lucas Isaac Tommy Reuben Kai Yusuf
    Ibrahim Kacper Amir Rohan Priya Anaya Chloe Ruby Niamh Callum Rhys Eilidh Owen Seren
    Dylan
""".split()
SURNAMES = """
    Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson
    Evans Walker White Roberts Green Hall Thomas Clarke Jackson Wood Harris Edwards Turner
    Martin Cooper Hill Ward Hughes Moore Clark King Harrison Lewis Baker Lee Allen Morris
    Khan Scott Watson Davis Parker James Bennett Young Phillips Richardson Mitchell Bailey
    Carter Cook Singh Shaw Bell Collins Morgan Kelly Begum Miller Cox Hussain Marshall
    Simpson Price Anderson Adams Wilkinson Ali Ahmed Foster Ellis Murphy Chapman Mason Gray
    Richards Webb
""".split()
CLASS_NAMES = ["Acorns", "Hazel", "Rowan", "Willow", "Chestnut", "Birch", "Oak"]
OAKFIELD_YEARS = ["R", "1", "2", "3", "4", "5", "6"]
RIVERSIDE_YEARS = ["7", "8", "9"]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    title: str
    job_title: str
    school_slug: str
    roles: tuple[Role, ...]
    kind: AdultKind = AdultKind.STAFF


DEMO_LOGINS = (
    DemoLogin(
        "dsl", "Helen", "Ashworth", "Mrs", "Deputy headteacher and DSL", "oakfield", (Role.DSL,)
    ),
    DemoLogin(
        "deputy",
        "Daniel",
        "Okafor",
        "Mr",
        "Year 6 teacher and deputy DSL",
        "oakfield",
        (Role.DEPUTY_DSL, Role.TEACHER),
    ),
    DemoLogin("head", "Margaret", "Pryce", "Dr", "Headteacher", "oakfield", (Role.HEADTEACHER,)),
    DemoLogin(
        "teacher", "Sam", "Whitfield", "Ms", "Year 3 class teacher", "oakfield", (Role.TEACHER,)
    ),
    DemoLogin(
        "technician", "Ravi", "Chauhan", "Mr", "Network manager", "oakfield", (Role.TECHNICIAN,)
    ),
    DemoLogin(
        "governor",
        "Alison",
        "Drummond",
        "Mrs",
        "Link governor for online safety",
        "oakfield",
        (Role.GOVERNOR,),
        AdultKind.GOVERNOR,
    ),
    DemoLogin(
        "chair",
        "Peter",
        "Lomax",
        "Mr",
        "Chair of governors",
        "oakfield",
        (Role.CHAIR_OF_GOVERNORS,),
        AdultKind.GOVERNOR,
    ),
    DemoLogin(
        "riverside-dsl",
        "Farah",
        "Siddiqui",
        "Ms",
        "Designated safeguarding lead",
        "riverside",
        (Role.DSL,),
    ),
)

KEY_PEOPLE = {
    "oakfield": [
        (KeyRole.HEADTEACHER, "head"),
        (KeyRole.DSL, "dsl"),
        (KeyRole.DEPUTY_DSL, "deputy"),
        (KeyRole.ONLINE_SAFETY_LEAD, "deputy"),
        (KeyRole.NAMED_GOVERNOR, "governor"),
        (KeyRole.NETWORK_MANAGER, "technician"),
        (KeyRole.CHAIR_OF_GOVERNORS, "chair"),
    ],
    "riverside": [(KeyRole.DSL, "riverside-dsl")],
}


def is_seeded() -> bool:
    return School.objects.filter(slug="oakfield").exists()


@transaction.atomic
def seed(seed_value: int = 2026) -> None:
    """Create the demo trust, its schools, people and log-ins. Refuses to run twice."""
    if is_seeded():
        raise RuntimeError("The demo schools already exist.")
    if User.objects.exists():
        raise RuntimeError(
            "This database already has real accounts; demo data goes only into an empty one."
        )
    rng = random.Random(seed_value)
    today = datetime.date.today()
    trust = Trust.objects.create(name="Brookvale Learning Trust", slug="brookvale")
    oakfield = School.objects.create(
        trust=trust,
        name="Oakfield Primary School",
        slug="oakfield",
        urn="990001",
        phase="Primary",
        address="1 Oakfield Lane, Brookvale, BV1 2AB",
        policy_review_due=today + datetime.timedelta(days=200),
    )
    riverside = School.objects.create(
        trust=trust,
        name="Riverside Academy",
        slug="riverside",
        urn="990002",
        phase="Secondary",
        address="River Road, Brookvale, BV3 4CD",
        policy_review_due=today + datetime.timedelta(days=90),
    )
    schools = {"oakfield": oakfield, "riverside": riverside}
    adults = _seed_logins(schools, today)
    _seed_key_people(schools, adults, today)
    _seed_school(rng, oakfield, OAKFIELD_YEARS, pupils_per_class=29, staff=17, today=today)
    _seed_school(rng, riverside, RIVERSIDE_YEARS, pupils_per_class=20, staff=8, today=today)
    adults["teacher"].classes.add(SchoolClass.objects.get(school=oakfield, year_group="3"))
    adults["deputy"].classes.add(SchoolClass.objects.get(school=oakfield, year_group="6"))
    from safeschool.concerns.demo import seed_concerns

    seed_concerns()
    from safeschool.monitoring.demo import seed_alerts

    seed_alerts()
    from safeschool.filtering.demo import seed_filtering

    seed_filtering()
    audit.record("demo.seeded", data={"schools": ["oakfield", "riverside"]})


def _seed_logins(schools: dict[str, School], today: datetime.date) -> dict[str, Adult]:
    adults: dict[str, Adult] = {}
    for login in DEMO_LOGINS:
        user = User.objects.create_user(
            login.username,
            email=f"{login.username}@{login.school_slug}.example",
            password=DEMO_PASSWORD,
            first_name=login.first_name,
            last_name=login.last_name,
        )
        school = schools[login.school_slug]
        for role in login.roles:
            Membership.objects.create(user=user, school=school, role=role)
        adults[login.username] = Adult.objects.create(
            school=school,
            kind=login.kind,
            title=login.title,
            first_name=login.first_name,
            last_name=login.last_name,
            job_title=login.job_title,
            email=user.email,
            network_username=login.username,
            started_on=today - datetime.timedelta(days=365 * 4),
            user=user,
        )
    return adults


def _seed_key_people(
    schools: dict[str, School], adults: dict[str, Adult], today: datetime.date
) -> None:
    for slug, entries in KEY_PEOPLE.items():
        for role, username in entries:
            KeyPerson.objects.create(
                school=schools[slug],
                role=role,
                person=adults[username],
                starts_on=today.replace(month=9, day=1) - datetime.timedelta(days=365),
                review_due=today + datetime.timedelta(days=120),
            )


def _name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(SURNAMES)


def _seed_school(
    rng: random.Random,
    school: School,
    years: list[str],
    *,
    pupils_per_class: int,
    staff: int,
    today: datetime.date,
) -> None:
    slug = school.slug
    for index in range(staff):
        first, last = _name(rng)
        job = (
            "Class teacher"
            if index < len(years)
            else rng.choice(
                [
                    "Teaching assistant",
                    "Teaching assistant",
                    "Midday supervisor",
                    "Office manager",
                    "SENCo",
                    "Site manager",
                    "Learning mentor",
                ]
            )
        )
        Adult.objects.create(
            school=school,
            kind=AdultKind.STAFF,
            title=rng.choice(["Mr", "Mrs", "Ms", "Miss"]),
            first_name=first,
            last_name=last,
            job_title=job,
            email=f"{first}.{last}@{slug}.example".lower(),
        )
    for kind, job in [
        (AdultKind.VOLUNTEER, "Reading volunteer"),
        (AdultKind.GOVERNOR, "Parent governor"),
    ]:
        first, last = _name(rng)
        Adult.objects.create(
            school=school, kind=kind, first_name=first, last_name=last, job_title=job
        )
    teachers = list(Adult.objects.filter(school=school, job_title="Class teacher"))
    for offset, year in enumerate(years):
        school_class = SchoolClass.objects.create(
            school=school,
            name=f"Year {year} {CLASS_NAMES[offset]}"
            if year != "R"
            else f"Reception {CLASS_NAMES[offset]}",
            year_group=year,
            teacher=teachers[offset] if offset < len(teachers) else None,
        )
        for _ in range(pupils_per_class):
            _seed_pupil(rng, school, school_class, year, today)


def _seed_pupil(
    rng: random.Random,
    school: School,
    school_class: SchoolClass,
    year: str,
    today: datetime.date,
) -> None:
    first, last = _name(rng)
    age = 4 + (0 if year == "R" else int(year))
    born = datetime.date(today.year - age - 1, 9, 1) + datetime.timedelta(days=rng.randrange(365))
    pupil = Pupil.objects.create(
        school=school,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        year_group=year,
        school_class=school_class,
        looked_after=rng.random() < 0.02,
        send=rng.random() < 0.13,
        eal=rng.random() < 0.18,
        network_username=f"{first[0]}{last}{rng.randrange(10, 100)}".lower(),
    )
    pupil.ehcp = pupil.send and rng.random() < 0.3
    pupil.save(update_fields=["ehcp"])
    carers = 1 if rng.random() < 0.3 else 2
    for priority in range(1, carers + 1):
        carer_first = rng.choice(FIRST_NAMES)
        carer = Carer.objects.create(
            school=school,
            first_name=carer_first,
            last_name=last,
            email=f"{carer_first}.{last}{rng.randrange(100)}@parents.example".lower(),
            phone=f"07700 900{rng.randrange(1000):03d}",
        )
        CarerLink.objects.create(
            carer=carer,
            pupil=pupil,
            contact_priority=priority,
            relationship=rng.choice(["Mother", "Father", "Carer", "Grandparent"]),
        )
