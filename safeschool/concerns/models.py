"""The safeguarding log: concerns about children, allegations about adults, and everything done
about them. Rows are added, never overwritten: an edited account is a new version, a closure or
reopening is a status change with its reason.

Writes go through `concerns.services`; reads through `concerns.access`.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class Category(models.TextChoices):
    CONTENT = "content", "Content"
    CONTACT = "contact", "Contact"
    CONDUCT = "conduct", "Conduct"
    COMMERCE = "commerce", "Commerce"


class ConcernType(models.TextChoices):
    ONLINE_BULLYING = "online_bullying", "Online bullying"
    SEXUAL_HARASSMENT = "sexual_harassment", "Sexual harassment"
    NUDES = "nudes", "Sharing nudes or semi-nudes"
    GROOMING = "grooming", "Grooming or exploitation"
    RADICALISATION = "radicalisation", "Radicalisation or extremism"
    SELF_HARM = "self_harm", "Self-harm or suicide"
    HARMFUL_CONTENT = "harmful_content", "Harmful content seen"
    FILTERING_BREACH = "filtering_breach", "Filtering breach"
    DEVICE_MISUSE = "device_misuse", "Device misuse"
    SOCIAL_MEDIA_MISUSE = "social_media_misuse", "Social-media misuse"
    STAFF_CONDUCT = "staff_conduct", "Conduct of an adult"
    OTHER = "other", "Other"


class Status(models.TextChoices):
    NEW = "new", "Not yet triaged"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class PupilRole(models.TextChoices):
    SUBJECT = "subject", "Subject of concern"
    ALLEGED_PERPETRATOR = "alleged_perpetrator", "Alleged perpetrator"
    VICTIM = "victim", "Victim"
    WITNESS = "witness", "Witness"


class AllegationLevel(models.TextChoices):
    ALLEGATION = "allegation", "Allegation (harm threshold may be met)"
    LOW_LEVEL = "low_level", "Low-level concern"


class AllegationOutcome(models.TextChoices):
    SUBSTANTIATED = "substantiated", "Substantiated"
    FALSE = "false", "False"
    MALICIOUS = "malicious", "Malicious"
    UNFOUNDED = "unfounded", "Unfounded"
    UNSUBSTANTIATED = "unsubstantiated", "Unsubstantiated"


class Agency(models.TextChoices):
    SOCIAL_CARE = "social_care", "Children's social care"
    POLICE = "police", "Police"
    CEOP = "ceop", "CEOP"
    IWF = "iwf", "Internet Watch Foundation"
    PREVENT = "prevent", "Prevent"
    LADO = "lado", "LADO"
    EARLY_HELP = "early_help", "Early help"
    LOCAL_ADVISERS = "local_advisers", "Local safeguarding advisers"


URGENT_TARGET = datetime.timedelta(hours=1)  # "by the end of the lesson"


class Concern(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="concerns")
    number = models.PositiveIntegerField(help_text="Running number within the school.")
    reporter = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="reported_concerns")
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    occurred_at = models.DateTimeField("when it happened", null=True, blank=True)
    location = models.CharField("where it happened", max_length=200, blank=True)
    category = models.CharField(max_length=16, choices=Category.choices)
    concern_type = models.CharField("type", max_length=32, choices=ConcernType.choices)
    urgent = models.BooleanField(default=False)
    immediate_action = models.TextField("immediate action taken", blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_concerns"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    reporter_sees_handling = models.BooleanField(default=False)
    outcome = models.TextField(blank=True)
    lessons_learnt = models.TextField(blank=True)
    about_adult = models.ForeignKey(
        "people.Adult",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allegations",
        help_text="Set when the concern is about a member of staff, volunteer or governor.",
    )
    allegation_level = models.CharField(max_length=16, choices=AllegationLevel.choices, blank=True)
    allegation_outcome = models.CharField(
        max_length=16, choices=AllegationOutcome.choices, blank=True
    )
    about_headteacher = models.BooleanField(
        default=False, help_text="Fixed when recorded: routes the case to the chair of governors."
    )

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="unique_concern_number")
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"C{self.number:05d}"

    @property
    def is_allegation(self) -> bool:
        return self.about_adult_id is not None

    @property
    def triage_due(self) -> datetime.datetime:
        """Urgent concerns by the end of the lesson; others the same day."""
        if self.urgent:
            return self.recorded_at + URGENT_TARGET
        local = timezone.localtime(self.recorded_at)
        return local.replace(hour=23, minute=59, second=59, microsecond=0)

    @property
    def triage_overdue(self) -> bool:
        return self.status == Status.NEW and timezone.now() > self.triage_due

    @property
    def current_account(self) -> ConcernAccount | None:
        return self.accounts.order_by("-version").first()


class ConcernAccount(models.Model):
    """One version of what was seen or heard. Editing adds a version; none is overwritten."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="accounts")
    version = models.PositiveIntegerField()
    text = models.TextField()
    written_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was edited.")

    class Meta:
        ordering = ["version"]
        constraints = [
            models.UniqueConstraint(fields=["concern", "version"], name="unique_account_version")
        ]

    def __str__(self) -> str:
        return f"{self.concern} account v{self.version}"


class ConcernPupil(models.Model):
    """A pupil linked to a concern, with their own role in it."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="pupil_links")
    pupil = models.ForeignKey(
        "people.Pupil", on_delete=models.PROTECT, related_name="concern_links"
    )
    role = models.CharField(max_length=24, choices=PupilRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["concern", "pupil"], name="unique_concern_pupil")
        ]

    def __str__(self) -> str:
        return f"{self.pupil} ({self.get_role_display()})"


class Entry(models.Model):
    """Common fields of everything added to a concern after it is recorded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at"]


class Note(Entry):
    """Further information: from the reporter, or a note by the team."""

    text = models.TextField()
    from_reporter = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"Note on {self.concern}"


class Action(Entry):
    description = models.TextField()
    assigned_to = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="concern_actions")
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_on < timezone.localdate()


class Decision(Entry):
    decision = models.TextField()
    reason = models.TextField()
    not_to_refer = models.BooleanField("this is a decision not to refer", default=False)

    def __str__(self) -> str:
        return self.decision[:60]


class Referral(Entry):
    agency = models.CharField(max_length=24, choices=Agency.choices)
    referred_on = models.DateField()
    reference = models.CharField("their reference", max_length=100, blank=True)
    response = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Referral to {self.get_agency_display()}"


class ParentContact(Entry):
    """Parents or carers informed, when and by whom, or the reason they were not."""

    informed = models.BooleanField()
    informed_on = models.DateField(null=True, blank=True)
    who = models.CharField("who was informed", max_length=200, blank=True)
    reason_not_informed = models.TextField(blank=True)

    def __str__(self) -> str:
        return "Parents informed" if self.informed else "Parents not informed"


class StatusChange(Entry):
    """Triage, closure and reopening, each with its reason."""

    from_status = models.CharField(max_length=8, choices=Status.choices)
    to_status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class Attachment(Entry):
    """A file kept privately under the data directory, served only through the access check."""

    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.original_name
