"""The people of a school: pupils in classes, their parents and carers, and adults (staff,
volunteers, governors). A user account may be linked to any of them."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class YearGroup(models.TextChoices):
    NURSERY = "N", "Nursery"
    RECEPTION = "R", "Reception"
    Y1 = "1", "Year 1"
    Y2 = "2", "Year 2"
    Y3 = "3", "Year 3"
    Y4 = "4", "Year 4"
    Y5 = "5", "Year 5"
    Y6 = "6", "Year 6"
    Y7 = "7", "Year 7"
    Y8 = "8", "Year 8"
    Y9 = "9", "Year 9"
    Y10 = "10", "Year 10"
    Y11 = "11", "Year 11"
    Y12 = "12", "Year 12"
    Y13 = "13", "Year 13"


class SchoolClass(models.Model):
    """A teaching group, such as "Year 3 Willow"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="classes")
    name = models.CharField(max_length=60)
    year_group = models.CharField(max_length=2, choices=YearGroup.choices)
    teacher = models.ForeignKey(
        "Adult", null=True, blank=True, on_delete=models.SET_NULL, related_name="classes"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "classes"
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="unique_class_name")]

    def __str__(self) -> str:
        return self.name


class Pupil(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="pupils")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    year_group = models.CharField(max_length=2, choices=YearGroup.choices)
    school_class = models.ForeignKey(
        SchoolClass, null=True, blank=True, on_delete=models.SET_NULL, related_name="pupils"
    )
    looked_after = models.BooleanField("looked-after child", default=False)
    previously_looked_after = models.BooleanField(default=False)
    send = models.BooleanField("special educational needs or disability (SEND)", default=False)
    ehcp = models.BooleanField("education, health and care plan", default=False)
    eal = models.BooleanField("English as an additional language", default=False)
    network_username = models.CharField(
        max_length=150,
        blank=True,
        db_index=True,
        help_text="The name this pupil logs in to the school network with, as the filter sees it.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pupil",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["school", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: datetime.date | None = None) -> int:
        """Age in whole years on the given day (today by default)."""
        day = day or timezone.localdate()
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def flags(self) -> list[str]:
        """Short labels for the flags that are set, for lists and headers."""
        labels = {
            "looked_after": "Looked-after",
            "previously_looked_after": "Previously looked-after",
            "send": "SEND",
            "ehcp": "EHCP",
            "eal": "EAL",
        }
        return [label for field, label in labels.items() if getattr(self, field)]


class AdultKind(models.TextChoices):
    STAFF = "staff", "Staff"
    VOLUNTEER = "volunteer", "Volunteer"
    GOVERNOR = "governor", "Governor"


class Adult(models.Model):
    """A member of staff, volunteer or governor. Allegations are recorded against these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="adults")
    kind = models.CharField(max_length=16, choices=AdultKind.choices)
    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    job_title = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    network_username = models.CharField(
        max_length=150,
        blank=True,
        db_index=True,
        help_text="The name this person logs in to the school network with.",
    )
    started_on = models.DateField(null=True, blank=True)
    left_on = models.DateField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adult_records",
        help_text="The log-in of this person (one per school they work at).",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "user"], name="one_adult_record_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Carer(models.Model):
    """A parent or carer of one or more pupils."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="carers")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    children: models.ManyToManyField[Pupil, CarerLink] = models.ManyToManyField(
        Pupil, through="CarerLink", related_name="carers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carer_records",
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class CarerLink(models.Model):
    """How a carer is related to a child, and whether they hold parental responsibility."""

    carer = models.ForeignKey(Carer, on_delete=models.CASCADE, related_name="links")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="carer_links")
    relationship = models.CharField(max_length=40)
    parental_responsibility = models.BooleanField(default=True)
    contact_priority = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["contact_priority"]
        constraints = [models.UniqueConstraint(fields=["carer", "pupil"], name="unique_carer_link")]

    def __str__(self) -> str:
        return f"{self.carer} ({self.relationship} of {self.pupil})"
