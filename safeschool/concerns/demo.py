"""Invented demo concerns at Oakfield and Riverside, one or more in every state, recorded through
the same services staff use (so each has its audit rows)."""

from __future__ import annotations

import datetime

from django.test.utils import override_settings
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.concerns import services
from safeschool.concerns.models import Concern, ConcernAccount
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School


def _pupils(school: School, year: str, count: int) -> list[Pupil]:
    return list(Pupil.objects.filter(school=school, year_group=year).order_by("last_name")[:count])


def _backdate(concern: Concern, days: float) -> None:
    when = timezone.now() - datetime.timedelta(days=days)
    Concern.objects.filter(pk=concern.pk).update(recorded_at=when)
    ConcernAccount.objects.filter(concern=concern).update(written_at=when)
    concern.refresh_from_db()


def seed_concerns() -> None:
    # Demo e-mails would only clutter the console while seeding.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        _seed_oakfield(School.objects.get(slug="oakfield"))
        _seed_riverside(School.objects.get(slug="riverside"))


def _seed_oakfield(school: School) -> None:
    users = {u.username: u for u in User.objects.filter(memberships__school=school)}
    dsl, deputy, teacher, head = users["dsl"], users["deputy"], users["teacher"], users["head"]
    y6, y5, y3 = _pupils(school, "6", 4), _pupils(school, "5", 3), _pupils(school, "3", 2)
    today = timezone.localdate()

    urgent = services.record_concern(
        teacher,
        school,
        services.NewConcern(
            category="content",
            concern_type="self_harm",
            urgent=True,
            pupils=[(y6[0], "subject")],
            location="Year 6 classroom",
            account="At the start of the lesson X said \"I've been watching videos of people "
            "cutting, it's the only thing that helps\". She pulled her sleeve down when "
            "I looked.",
            immediate_action="Stayed with her; asked the TA to fetch the DSL.",
        ),
    )
    _backdate(urgent, 0.1)

    bullying = services.record_concern(
        teacher,
        school,
        services.NewConcern(
            category="conduct",
            concern_type="online_bullying",
            pupils=[(y5[0], "victim"), (y5[1], "alleged_perpetrator"), (y5[2], "witness")],
            location="Class group chat (outside school)",
            account="A parent showed me messages in the class group chat calling a child 'fat' and "
            "'a loser' and telling others not to sit with him. The witness says it has gone "
            "on for two weeks.",
        ),
    )
    _backdate(bullying, 1.2)

    grooming = services.record_concern(
        deputy,
        school,
        services.NewConcern(
            category="contact",
            concern_type="grooming",
            pupils=[(y6[1], "subject")],
            location="Online game, at home",
            account="He told me an 'older friend' from a game sends him gift codes and asked for a "
            "photo of his face and his school jumper.",
            immediate_action="Reassured him he had done the right thing by telling me.",
        ),
    )
    _backdate(grooming, 6)
    services.triage(dsl, grooming, owner=dsl, note="Possible grooming: act today.")
    services.refer(
        dsl,
        grooming,
        agency="ceop",
        referred_on=today - datetime.timedelta(days=6),
        reference="CEOP-DEMO-0193",
        response="Report received; police informed.",
    )
    services.record_parent_contact(
        dsl,
        grooming,
        informed=True,
        informed_on=today - datetime.timedelta(days=6),
        who="Mother, by telephone (DSL)",
    )
    services.add_action(
        dsl,
        grooming,
        description="Online-safety session with his class on gift-code scams",
        assigned_to=deputy,
        due_on=today + datetime.timedelta(days=3),
    )
    services.add_action(
        dsl,
        grooming,
        description="Check in with him after the weekend",
        assigned_to=dsl,
        due_on=today - datetime.timedelta(days=1),
    )

    nudes = services.record_concern(
        teacher,
        school,
        services.NewConcern(
            category="conduct",
            concern_type="nudes",
            pupils=[(y6[2], "victim"), (y6[3], "alleged_perpetrator")],
            account="She told me a boy in her class shared a picture of her body with others "
            "after she sent it to him. I did not look at any device.",
        ),
    )
    _backdate(nudes, 3)
    services.triage(dsl, nudes, owner=deputy)
    services.refer(
        deputy,
        nudes,
        agency="social_care",
        referred_on=today - datetime.timedelta(days=3),
        reference="MASH-DEMO-221",
    )
    services.record_decision(
        deputy,
        nudes,
        decision="Follow UKCIS guidance; no device to be searched by staff.",
        reason="Imagery must not be viewed by staff.",
    )

    breach = services.record_concern(
        users["technician"],
        school,
        services.NewConcern(
            category="commerce",
            concern_type="filtering_breach",
            pupils=[(y5[0], "subject")],
            account="The filter blocked repeated searches for online casino sites from a Year 5 "
            "laptop during wet play.",
        ),
    )
    _backdate(breach, 20)
    services.triage(dsl, breach, owner=dsl)
    services.record_decision(
        dsl,
        breach,
        decision="Not to refer",
        not_to_refer=True,
        reason="Curiosity after an advert; no wider concern; parents spoken to.",
    )
    services.record_parent_contact(
        dsl,
        breach,
        informed=True,
        informed_on=today - datetime.timedelta(days=19),
        who="Father, in person (DSL)",
    )
    services.close_concern(
        dsl,
        breach,
        outcome="Resolved with the pupil and parents.",
        lessons_learnt="Add gambling adverts to the Year 5 PSHE unit.",
    )

    device = services.record_concern(
        teacher,
        school,
        services.NewConcern(
            category="conduct",
            concern_type="device_misuse",
            pupils=[(y3[0], "subject")],
            account="Was using an older sibling's phone at lunch to watch videos rated 18.",
        ),
    )
    _backdate(device, 30)
    services.triage(dsl, device, owner=deputy)
    services.close_concern(
        deputy, device, outcome="Phone returned to parent; advice given.", lessons_learnt=""
    )
    services.reopen_concern(dsl, device, reason="Brought the phone in again this week.")

    staff = Adult.objects.filter(school=school, job_title="Teaching assistant").first()
    if staff is not None:
        allegation = services.record_concern(
            teacher,
            school,
            services.NewConcern(
                category="contact",
                concern_type="staff_conduct",
                about_adult=staff,
                allegation_level="allegation",
                pupils=[(y3[1], "subject")],
                account="A pupil said this adult follows her on a social-media account and "
                "messaged her at the weekend.",
            ),
        )
        _backdate(allegation, 2)
        services.triage(head, allegation, owner=head, note="Consult the LADO today.")
        services.refer(
            head,
            allegation,
            agency="lado",
            referred_on=today - datetime.timedelta(days=2),
            reference="LADO-DEMO-17",
        )

    head_adult = Adult.objects.get(school=school, user=head)
    about_head = services.record_concern(
        deputy,
        school,
        services.NewConcern(
            category="conduct",
            concern_type="staff_conduct",
            about_adult=head_adult,
            allegation_level="low_level",
            account="The headteacher posted a photo from sports day on a personal account in which "
            "pupils' faces can be seen.",
        ),
    )
    _backdate(about_head, 4)

    volunteer = Adult.objects.filter(school=school, kind="volunteer").first()
    if volunteer is not None:
        low = services.record_concern(
            teacher,
            school,
            services.NewConcern(
                category="conduct",
                concern_type="staff_conduct",
                about_adult=volunteer,
                allegation_level="low_level",
                account="The reading volunteer gave a pupil his personal mobile number 'in case '"
                "she wanted more help'.",
            ),
        )
        _backdate(low, 40)
        services.triage(dsl, low, owner=dsl)
        services.close_concern(
            dsl,
            low,
            outcome="Spoken to; guidance on contact re-shared.",
            lessons_learnt="Add to volunteer induction.",
            allegation_outcome="substantiated",
        )


def _seed_riverside(school: School) -> None:
    dsl = User.objects.get(username="riverside-dsl")
    pupils = _pupils(school, "8", 1)
    concern = services.record_concern(
        dsl,
        school,
        services.NewConcern(
            category="content",
            concern_type="radicalisation",
            pupils=[(pupils[0], "subject")],
            account="Shared extremist memes in a class chat and said they were 'just jokes'.",
        ),
    )
    _backdate(concern, 5)
