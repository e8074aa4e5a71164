from __future__ import annotations

from typing import Any

from django import forms

from safeschool.filtering.models import BlocklistSource, Change, FilterCategory, FilterGroup
from safeschool.schools.models import School

WHEN = [
    ("always", "Always"),
    ("within", "Only during the schedule"),
    ("outside", "Except during the schedule"),
]


class ProposalForm(forms.Form):
    kind = forms.ChoiceField(
        label="What kind of change",
        choices=[c for c in Change.Kind.choices if c[0] not in {"initial", "group_settings"}],
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
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What is blocked or allowed, and why (DfE standard 1).",
    )
    risk_assessment = forms.CharField(
        label="Risk assessment",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Who could be harmed by this change, how likely, and what reduces the risk.",
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
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    risk_assessment = forms.CharField(
        label="Risk assessment", widget=forms.Textarea(attrs={"rows": 4})
    )

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
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why this cannot wait for approval."
    )

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


class ScheduleForm(forms.Form):
    name = forms.SlugField(max_length=40, help_text="A short name, such as lunch or break.")
    days = forms.MultipleChoiceField(
        choices=DAYS,
        widget=forms.CheckboxSelectMultiple,
        initial=["mon", "tue", "wed", "thu", "fri"],
    )
    start = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise forms.ValidationError("The end must be after the start.")
        return data
