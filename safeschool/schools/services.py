"""Changes to a school's key people register. Each checks permission, changes the data and
writes the audit row in one transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from safeschool.accounts.permissions import require
from safeschool.accounts.roles import Capability
from safeschool.audit import services as audit
from safeschool.people.models import Adult
from safeschool.schools.models import KeyPerson, KeyRole, School


@transaction.atomic
def appoint_key_person(
    actor: Any,
    school: School,
    *,
    role: KeyRole | str,
    person: Adult,
    starts_on: datetime.date,
    review_due: datetime.date | None = None,
) -> KeyPerson:
    require(actor, school, Capability.KEY_PEOPLE_MANAGE)
    if person.school_id != school.pk:
        raise ValidationError("That person is not at this school.")
    appointment = KeyPerson.objects.create(
        school=school, role=role, person=person, starts_on=starts_on, review_due=review_due
    )
    audit.record(
        "keyperson.appointed",
        actor=actor,
        school=school,
        subject=appointment,
        data={"role": str(role), "person": person.full_name, "starts_on": str(starts_on)},
    )
    return appointment


@transaction.atomic
def end_appointment(
    actor: Any, school: School, appointment: KeyPerson, ends_on: datetime.date
) -> KeyPerson:
    require(actor, school, Capability.KEY_PEOPLE_MANAGE)
    if ends_on < appointment.starts_on:
        raise ValidationError("An appointment cannot end before it starts.")
    appointment.ends_on = ends_on
    appointment.save(update_fields=["ends_on"])
    audit.record(
        "keyperson.ended",
        actor=actor,
        school=school,
        subject=appointment,
        data={"role": appointment.role, "ends_on": str(ends_on)},
    )
    return appointment
