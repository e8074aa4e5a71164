"""A school's filtering policy, as the web app keeps it, and its change control.

The policy in force is these rows; every change to them is a `Change` that was proposed with a
reason and a risk assessment and approved by someone else (or published as an emergency block
and approved after the event). Each publication writes a snapshot for the filter daemons and is
kept as a `PolicyVersion`. Changes and versions are never deleted: they are DfE standard 1's
record. Rows of the policy itself (a list entry, a schedule) are removed only by an approved
change, which records what was removed.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class FilterCategory(models.TextChoices):
    """The UKSIC categories, plus what schools commonly block for pupils."""

    PORNOGRAPHY = "pornography", "Pornography"
    DISCRIMINATION = "discrimination", "Discrimination"
    DRUGS = "drugs", "Drugs and substance abuse"
    EXTREMISM = "extremism", "Extremism"
    GAMBLING = "gambling", "Gambling"
    MALWARE_HACKING = "malware_hacking", "Malware and hacking (including proxies and VPNs)"
    PIRACY = "piracy", "Piracy and copyright theft"
    SELF_HARM = "self_harm", "Self-harm"
    VIOLENCE = "violence", "Violence"
    SOCIAL_MEDIA = "social_media", "Social media"
    GAMING = "gaming", "Online games"
    CHAT = "chat", "Chat and messaging"


WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def describe_times(days: list[str], start: str, end: str) -> str:
    """Days and times as people say them: "weekdays 12:00–13:00", "Mon, Wed 10:30–10:45"."""
    ordered = [d for d in WEEK if d in days]
    if ordered == WEEK:
        when = "every day"
    elif ordered == WEEK[:5]:
        when = "weekdays"
    elif ordered == WEEK[5:]:
        when = "weekends"
    else:
        when = ", ".join(d.capitalize() for d in ordered)
    return f"{when} {start}–{end}"


class Schedule(models.Model):
    """A named time rule, such as "lunch": weekdays 12:00–13:00. Added directly (it changes
    nothing until a rule uses it); changed or removed only through an approved `Change`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.SlugField(max_length=40)
    days = models.CharField(
        max_length=40,
        default="mon,tue,wed,thu,fri",
        help_text="Comma-separated: mon,tue,wed,thu,fri,sat,sun",
    )
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="unique_schedule_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.days} {self.start:%H:%M}–{self.end:%H:%M})"

    @property
    def day_list(self) -> list[str]:
        return [d for d in self.days.split(",") if d]

    def times(self) -> dict[str, Any]:
        """Days and times as a change's payload keeps them."""
        return {"days": self.day_list, "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}

    @property
    def when(self) -> str:
        return describe_times(self.day_list, f"{self.start:%H:%M}", f"{self.end:%H:%M}")


class FilterGroup(models.Model):
    """Who a set of rules applies to: by network range and by user name."""

    class YouTube(models.TextChoices):
        OFF = "off", "Off"
        MODERATE = "moderate", "Moderate"
        STRICT = "strict", "Strict"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(
        "schools.School", on_delete=models.CASCADE, related_name="filter_groups"
    )
    name = models.SlugField(max_length=40)
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    addresses = models.TextField(
        blank=True, help_text="One range a line: 10.2.0.0/16, 10.3.0.10-10.3.0.50 or one address."
    )
    usernames = models.TextField(blank=True, help_text="One network user name a line.")
    default_action = models.CharField(
        max_length=5, default="allow", choices=[("allow", "Allow"), ("block", "Block")]
    )
    no_access = models.BooleanField(
        default=False,
        help_text="Block everything (for guests or volunteers where the policy "
        "gives them no access).",
    )
    safe_search = models.BooleanField(default=True, help_text="Google, Bing and DuckDuckGo.")
    youtube = models.CharField(max_length=8, choices=YouTube.choices, default=YouTube.STRICT)
    block_ip_urls = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="unique_filter_group")
        ]

    def __str__(self) -> str:
        return self.label


class GroupCategory(models.Model):
    """One category's rule for a group: blocked, or allowed, perhaps only at some times."""

    class When(models.TextChoices):
        ALWAYS = "always", "Always"
        WITHIN = "within", "Only during the schedule"
        OUTSIDE = "outside", "Except during the schedule"

    group = models.ForeignKey(FilterGroup, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(max_length=24, choices=FilterCategory.choices)
    when = models.CharField(max_length=8, choices=When.choices, default=When.ALWAYS)
    schedule = models.ForeignKey(Schedule, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(fields=["group", "category"], name="unique_group_category")
        ]

    def __str__(self) -> str:
        return f"{self.group}: block {self.get_category_display()}"


class ListEntry(models.Model):
    """A domain or URL on the allow-list or deny-list, for one group or the whole school."""

    class Kind(models.TextChoices):
        ALLOW = "allow", "Allow-list"
        DENY = "deny", "Deny-list"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(
        FilterGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="entries"
    )
    kind = models.CharField(max_length=5, choices=Kind.choices)
    entry = models.CharField(max_length=500)
    change = models.ForeignKey("Change", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["entry"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.entry}"


class PolicyVersion(models.Model):
    """A snapshot published to the filter daemons."""

    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(USER, null=True, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=500)
    sha256 = models.CharField(max_length=64)
    summary = models.JSONField(default=dict)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="unique_policy_version")
        ]

    def __str__(self) -> str:
        return f"Policy version {self.number}"


class Change(models.Model):
    """A proposed change to the filtering policy, and what became of it."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for approval"
        PUBLISHED = "published", "Approved and published"
        REJECTED = "rejected", "Rejected"
        EMERGENCY = "emergency", "Emergency block: published, waiting for approval"

    class Kind(models.TextChoices):
        ALLOW = "allow", "Add to the allow-list"
        DENY = "deny", "Add to the deny-list"
        REMOVE = "remove", "Remove from a list"
        BLOCK_CATEGORY = "block_category", "Block a category"
        UNBLOCK_CATEGORY = "unblock_category", "Stop blocking a category"
        GROUP_SETTINGS = "group_settings", "Change a group's settings"
        SCHEDULE_CHANGE = "schedule_change", "Change a schedule's days or times"
        SCHEDULE_REMOVE = "schedule_remove", "Remove a schedule"
        INITIAL = "initial", "Set up the starting policy"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    group = models.ForeignKey(
        FilterGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty: the whole school.",
    )
    payload = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    reason = models.TextField()
    risk_assessment = models.TextField()
    proposed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    emergency = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="changes"
    )
    unblock_request = models.ForeignKey(
        "filterlog.UnblockRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
    )

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return self.summary


class BlocklistSource(models.Model):
    """A blocklist the school uses: fetched from a URL on a schedule, or uploaded."""

    class Format(models.TextChoices):
        AUTO = "auto", "Detect from the content"
        DOMAINS = "domains", "Plain list of domains"
        HOSTS = "hosts", "Hosts file"
        ADBLOCK = "adblock", "Adblock rules (||domain^)"
        URLS = "urls", "squidGuard urls list"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    url = models.URLField(blank=True, help_text="Empty for an uploaded list.")
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.AUTO)
    detected_format = models.CharField(max_length=8, blank=True)
    category = models.CharField(
        max_length=24,
        choices=FilterCategory.choices,
        help_text="The UKSIC category this list's entries belong to.",
    )
    refresh_hours = models.PositiveSmallIntegerField(default=24)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    entry_count = models.PositiveIntegerField(default=0)
    malformed_count = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Filtering checks and the annual review (DfE standard 2); services in checks.py and reviews.py.


class CheckRun(models.Model):
    """One run of the built-in filtering check: when, who (None: cron), and whether it passed."""

    class Via(models.TextChoices):
        WEB = "web", "Run from the web app"
        CRON = "cron", "Run on a schedule (cron)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    run_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via = models.CharField(max_length=4, choices=Via.choices, default=Via.WEB)
    passed = models.BooleanField(default=False)
    policy_version = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(blank=True, help_text="Why the run could not check anything.")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Filtering check {self.started_at:%d %b %Y %H:%M}"


class CheckResult(models.Model):
    """One test entry asked of the engine or the running DNS filter, for one group."""

    class Kind(models.TextChoices):
        CATEGORY = "category", "Blocked category"
        ADULT = "adult", "Adult test entry"
        ILLEGAL = "illegal", "Illegal-content layer"

    class Via(models.TextChoices):
        ENGINE = "engine", "Filter engine (published policy)"
        DNS = "dns", "Running DNS filter"

    run = models.ForeignKey(CheckRun, on_delete=models.PROTECT, related_name="results")
    group_name = models.CharField(max_length=100)
    category = models.CharField(max_length=24)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CATEGORY)
    entry = models.CharField(max_length=200)
    via = models.CharField(max_length=6, choices=Via.choices)
    expected_block = models.BooleanField()
    got = models.CharField(max_length=100)
    passed = models.BooleanField()
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group_name} {self.entry} via {self.via}: {self.got}"


class AnnualReview(models.Model):
    """The annual filtering and monitoring review (DfE standard 2), with its evidence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    review_date = models.DateField()
    leadership_took_part = models.BooleanField(default=False)
    leadership_names = models.CharField(max_length=300, blank=True)
    dsl_took_part = models.BooleanField(default=False)
    dsl_names = models.CharField(max_length=300, blank=True)
    it_took_part = models.BooleanField(default=False)
    it_names = models.CharField(max_length=300, blank=True)
    governor_took_part = models.BooleanField(default=False)
    governor_names = models.CharField(max_length=300, blank=True)
    what_was_checked = models.TextField()
    results = models.TextField()
    actions = models.TextField()
    next_review_due = models.DateField()
    check_run = models.ForeignKey(
        CheckRun, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-review_date", "-created_at"]

    def __str__(self) -> str:
        return f"Filtering and monitoring review, {self.review_date:%d %B %Y}"


class ReviewReminder(models.Model):
    """A reminder sent for one due date (None: no review ever recorded), so it goes once."""

    school = models.ForeignKey("schools.School", on_delete=models.CASCADE, related_name="+")
    due_on = models.DateField(null=True, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "due_on"], name="unique_review_reminder"),
            models.UniqueConstraint(
                fields=["school"],
                condition=models.Q(due_on__isnull=True),
                name="unique_never_reviewed_reminder",
            ),
        ]

    def __str__(self) -> str:
        return f"Review reminder for {self.due_on or 'a first review'}"


# Filtering breaches involving a pupil (seed 004); services in breaches.py.


class ExternalBody(models.TextChoices):
    """Where illegal material is reported (seed 004)."""

    IWF = "iwf", "Internet Watch Foundation (IWF)"
    POLICE = "police", "Police"
    CEOP = "ceop", "CEOP"


class Breach(models.Model):
    """A pupil tried to reach blocked harmful content: what happened, whether the parents or
    carers were informed (or why not), any report of illegal material, and the concern it
    became. The child is never named in `__str__`, which the audit log copies."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey("schools.School", on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(
        "people.Pupil", on_delete=models.PROTECT, related_name="filtering_breaches"
    )
    occurred_at = models.DateTimeField("when it happened", db_index=True)
    url = models.TextField("address or site", help_text="The web address or host name.")
    category = models.CharField("filter category", max_length=100, blank=True)
    event = models.ForeignKey(
        "filterlog.FilterEvent",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,  # filter logs are deleted after their retention period
        related_name="+",
    )
    alert = models.ForeignKey(
        "monitoring.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    what_happened = models.TextField()
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    parents_informed = models.BooleanField(
        null=True, blank=True, help_text="Empty until the parents-informed step is recorded."
    )
    parents_informed_on = models.DateField(null=True, blank=True)
    parents_informed_how = models.CharField(max_length=200, blank=True)
    parents_not_informed_reason = models.TextField(blank=True)
    parents_recorded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parents_recorded_at = models.DateTimeField(null=True, blank=True)
    reported_to = models.CharField(max_length=8, choices=ExternalBody.choices, blank=True)
    reported_on = models.DateField(null=True, blank=True)
    report_reference = models.CharField("their reference", max_length=100, blank=True)
    concern = models.ForeignKey(
        "concerns.Concern",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="filtering_breaches",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closing_note = models.TextField(blank=True)
    closed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["school", "status", "-occurred_at"])]

    def __str__(self) -> str:
        return f"Filtering breach, {timezone.localtime(self.occurred_at):%d %b %Y %H:%M}"

    @property
    def category_label(self) -> str:
        """The UKSIC label when the category is one of ours; else as the filter logged it."""
        if self.category in FilterCategory.values:
            return str(FilterCategory(self.category).label)
        return self.category.replace("_", " ").strip().capitalize() or "Not in a category"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
