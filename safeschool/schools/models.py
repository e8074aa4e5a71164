"""Trusts and schools (the tenant), and each school's register of key people."""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.utils import timezone


class Trust(models.Model):
    """A multi-academy trust or federation: a group of schools with shared leadership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """The tenant: every record in SafeSchool belongs to exactly one school."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trust = models.ForeignKey(Trust, on_delete=models.PROTECT, related_name="schools")
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    urn = models.CharField("unique reference number", max_length=8, blank=True)
    phase = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    policy_review_due = models.DateField(
        null=True, blank=True, help_text="When the online-safety policy is next due for review."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KeyRole(models.TextChoices):
    DSL = "dsl", "Designated safeguarding lead"
    DEPUTY_DSL = "deputy_dsl", "Deputy designated safeguarding lead"
    ONLINE_SAFETY_LEAD = "online_safety_lead", "Online safety lead"
    NAMED_GOVERNOR = "named_governor", "Named governor for online safety"
    NETWORK_MANAGER = "network_manager", "Network manager / technician"
    HEADTEACHER = "headteacher", "Headteacher"
    CHAIR_OF_GOVERNORS = "chair_of_governors", "Chair of governors"


class KeyPersonQuerySet(models.QuerySet["KeyPerson"]):
    def current(self, on: datetime.date | None = None) -> KeyPersonQuerySet:
        """Appointments in force on the given day (today by default)."""
        day = on or timezone.localdate()
        return self.filter(starts_on__lte=day).filter(
            models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day)
        )


class KeyPerson(models.Model):
    """An appointment to a key safeguarding role, with the dates it runs between."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="key_people")
    role = models.CharField(max_length=32, choices=KeyRole.choices)
    person = models.ForeignKey("people.Adult", on_delete=models.PROTECT, related_name="key_roles")
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    review_due = models.DateField(
        null=True, blank=True, help_text="When this appointment is next reviewed."
    )

    objects = KeyPersonQuerySet.as_manager()

    class Meta:
        ordering = ["role", "-starts_on"]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.person}"

    @property
    def role_order(self) -> int:
        """Position of the role in the register, in the order the policies list them."""
        return list(KeyRole.values).index(self.role)
