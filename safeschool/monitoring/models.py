"""Monitoring: alerts raised from filter events (or sent by other tools), their triage, and each
school's changes to the risk-term library."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class MonitoringCategory(models.TextChoices):
    ILLEGAL = "illegal", "Illegal content"
    BULLYING = "bullying", "Bullying"
    CSE = "child_sexual_exploitation", "Child sexual exploitation"
    DISCRIMINATION = "discrimination", "Discrimination"
    DRUGS = "drugs", "Drugs"
    EXTREMISM = "extremism", "Extremism"
    GAMBLING = "gambling", "Gambling"
    PORNOGRAPHY = "pornography", "Pornography"
    SELF_HARM = "self_harm", "Self-harm"
    SUICIDE = "suicide", "Suicide"
    VIOLENCE = "violence", "Violence"
    EATING_DISORDERS = "eating_disorders", "Eating disorders"
    WEAPONS = "weapons", "Weapons"
    BYPASS = "bypass", "Filter bypass (proxies, VPNs)"


class Rule(models.TextChoices):
    TERM = "term", "Risk term matched"
    REPEATED_BLOCKS = "repeated_blocks", "Repeated blocked attempts"
    BYPASS = "bypass", "Attempt to reach a bypass tool"
    ILLEGAL = "illegal", "Illegal-content list hit"
    EXTERNAL = "external", "Reported by another monitoring tool"


class AlertStatus(models.TextChoices):
    NEW = "new", "Waiting for triage"
    FALSE_POSITIVE = "false_positive", "False positive"
    NO_ACTION = "no_action", "No further action"
    RAISED = "raised", "Raised as a concern"


class Alert(models.Model):
    """One episode: a run of related events by one person or device, not one row per event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    severity = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=32, choices=MonitoringCategory.choices)
    rule = models.CharField(max_length=16, choices=Rule.choices)
    source = models.CharField(max_length=60, default="filter")
    episode_key = models.CharField(max_length=300, db_index=True)
    username = models.CharField(max_length=150, blank=True)
    pupil = models.ForeignKey(
        "people.Pupil", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    user = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The account the activity came from.",
    )
    client = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=150, blank=True)
    first_at = models.DateTimeField(db_index=True)
    last_at = models.DateTimeField()
    event_count = models.PositiveIntegerField(default=1)
    matched_text = models.TextField(blank=True, help_text="The text that fired, such as a search.")
    term = models.CharField(max_length=200, blank=True)
    context = models.JSONField(
        default=list, blank=True, help_text="The events of the episode (up to 50)."
    )
    status = models.CharField(
        max_length=16, choices=AlertStatus.choices, default=AlertStatus.NEW, db_index=True
    )
    triaged_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    triage_reason = models.TextField(blank=True)
    concern = models.ForeignKey(
        "concerns.Concern", null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-first_at"]
        indexes = [models.Index(fields=["school", "status", "-severity"])]

    def __str__(self) -> str:
        return f"{self.get_category_display()} (severity {self.severity})"

    @property
    def who(self) -> str:
        if self.pupil_id:
            return str(self.pupil)
        if self.user_id:
            return str(self.user)
        return self.username or self.device or (self.client or "Unknown device")


class TermChange(models.Model):
    """A school's change to the risk-term library: add, disable or re-weight, with who and why.
    The latest change for a term is the one in force."""

    class Change(models.TextChoices):
        ADD = "add", "Added"
        DISABLE = "disable", "Disabled"
        REWEIGHT = "reweight", "Re-weighted"
        ENABLE = "enable", "Enabled again"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    term = models.CharField(max_length=200)
    change = models.CharField(max_length=10, choices=Change.choices)
    category = models.CharField(max_length=32, choices=MonitoringCategory.choices, blank=True)
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    changed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.get_change_display()} {self.term!r}"
