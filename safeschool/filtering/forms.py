from __future__ import annotations

from typing import Any

from django import forms

from safeschool.filtering.models import BlocklistSource, Change, FilterCategory, FilterGroup
from safeschool.schools.models import School

OWN_PAGE_KINDS = {"initial", "group_settings", "schedule_change", "schedule_remove"}
WHEN = [
    ("always", "Always"),
    ("within", "Only during the schedule"),
    ("outside", "Except during the schedule"),
]


def reason_field(help_text: str = "") -> forms.CharField:
    """The reason every proposed change must give (DfE standard 1)."""
    return forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
        error_messages={"required": "Say why the change is needed."},
    )


def risk_field(help_text: str = "") -> forms.CharField:
    """The risk assessment every proposed change must give."""
    return forms.CharField(
        label="Risk assessment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=help_text,
        error_messages={"required": "Assess the risk of the change."},
    )


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of change",
        # Group settings and schedules have their own pages, from the filtering page.
        choices=[c for c in Change.Kind.choices if c[0] not in OWN_PAGE_KINDS],
    )
    group = forms.ModelChoiceField(
        queryset=FilterGroup.objects.none(),
        required=False,
        empty_label="Everyone (the whole school)",
    )
    entries = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For list changes: domains (example.com) or URLs (example.com/page), one a line.",
    )
    list = forms.ChoiceField(
        label="From which list (when removing)",
        required=False,
        choices=[("", "—"), ("allow", "Allow-list"), ("deny", "Deny-list")],
    )
    category = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *FilterCategory.choices],
        help_text="For category changes.",
    )
    when = forms.ChoiceField(required=False, choices=WHEN, initial="always")
    schedule = forms.CharField(
        required=False, max_length=40, help_text="The schedule's name, such as lunch."
    )
    reason = reason_field("What is blocked or allowed, and why (DfE standard 1).")
    risk_assessment = risk_field(
        "Who could be harmed by this change, how likely, and what reduces the risk."
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = FilterGroup.objects.filter(school=school)  # type: ignore[attr-defined]

    def payload(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["kind"]
        if kind in {Change.Kind.ALLOW, Change.Kind.DENY, Change.Kind.REMOVE}:
            payload: dict[str, Any] = {"entries": data["entries"].split()}
            if kind == Change.Kind.REMOVE:
                payload["list"] = data["list"]
            return payload
        if kind in {Change.Kind.BLOCK_CATEGORY, Change.Kind.UNBLOCK_CATEGORY}:
            return {
                "category": data["category"],
                "when": data["when"] or "always",
                "schedule": data["schedule"],
            }
        return {}


class GroupSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    reason = reason_field()
    risk_assessment = risk_field()

    class Meta:
        model = FilterGroup
        fields = [
            "addresses",
            "usernames",
            "default_action",
            "no_access",
            "safe_search",
            "youtube",
            "block_ip_urls",
        ]
        widgets = {
            "addresses": forms.Textarea(attrs={"rows": 3}),
            "usernames": forms.Textarea(attrs={"rows": 3}),
        }


class EmergencyForm(forms.Form):
    entries = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Domains or URLs to block now, one a line.",
    )
    group = forms.ModelChoiceField(
        queryset=FilterGroup.objects.none(),
        required=False,
        empty_label="Everyone (the whole school)",
    )
    reason = reason_field("Why this cannot wait for approval.")

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = FilterGroup.objects.filter(school=school)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SourceForm(forms.ModelForm):  # type: ignore[type-arg]
    url = forms.URLField(
        required=False, assume_scheme="https", help_text="Where to fetch the list from."
    )
    upload = forms.FileField(required=False, help_text="Or upload a list instead of a URL.")

    class Meta:
        model = BlocklistSource
        fields = ["name", "url", "format", "category", "refresh_hours"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("url")) == bool(data.get("upload")):
            raise forms.ValidationError("Give either a URL to fetch or a file to upload.")
        return data


DAYS = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
]


class ScheduleTimesForm(forms.Form):
    """A schedule's days and times; the end must come after the start on the same day."""

    days = forms.MultipleChoiceField(
        choices=DAYS,
        widget=forms.CheckboxSelectMultiple,
        initial=["mon", "tue", "wed", "thu", "fri"],
        error_messages={"required": "Choose at least one day."},
    )
    start = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="24-hour time, such as 12:00.",
        error_messages={
            "required": "Enter the start time.",
            "invalid": "Enter the start as a time of day, such as 12:00.",
        },
    )
    end = forms.TimeField(
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="When it stops, on the same day, such as 13:00.",
        error_messages={
            "required": "Enter the end time.",
            "invalid": "Enter the end as a time of day, such as 13:00.",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            self.add_error("end", "The end must be after the start.")
        return data


class ScheduleForm(ScheduleTimesForm):
    """A new schedule (added at once: it changes nothing until a rule uses it)."""

    field_order = ["name", "days", "start", "end"]

    name = forms.SlugField(max_length=40, help_text="A short name, such as lunch or break.")


class ScheduleChangeForm(ScheduleTimesForm):
    """New days and times for a schedule, proposed for approval."""

    reason = reason_field("Why the times change, for example a new lunchtime from next term.")
    risk_assessment = risk_field(
        "What the groups using it can reach at the new times that they could not before, and "
        "what reduces the risk."
    )


class ScheduleRemoveForm(forms.Form):
    reason = reason_field("Why the schedule is no longer needed.")
    risk_assessment = risk_field("Who could be affected, and what reduces the risk.")
