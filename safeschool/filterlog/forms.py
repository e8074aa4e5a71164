from __future__ import annotations

from typing import Any

from django import forms

from safeschool.filterlog.search import address_prefix

ACTIONS = [
    ("", "Any"),
    ("block", "Blocked"),
    ("allow", "Allowed"),
    ("rewrite", "Rewritten (safe search)"),
]
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


def _when() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class UnblockForm(forms.Form):
    """The "this shouldn't be blocked" button, with an optional reason."""

    url = forms.CharField(max_length=4000, widget=forms.HiddenInput)
    category = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)
    rule = forms.CharField(max_length=32, required=False, widget=forms.HiddenInput)
    group = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why do you need this page? (you can leave this empty)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


REASON_HINT = "Kept with the request for staff, and written to the audit log."


class AllowForm(forms.Form):
    """Allowing a request proposes an allow-list change: it needs a reason and a risk
    assessment, and someone else's approval."""

    entry = forms.ChoiceField(
        label="What to allow",
        help_text="Allowing only the page is safer; a whole site lets in everything on it.",
    )
    reason = forms.CharField(
        label="Why it should be allowed",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    risk_assessment = forms.CharField(
        label="Risk assessment",
        max_length=4000,
        help_text="Who could reach the page once it is allowed, and what could go wrong.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, entries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = ["This page only", "The whole site"]
        field = self.fields["entry"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (entry, f"{label}: {entry}") for entry, label in zip(entries, labels, strict=False)
        ]
        field.initial = entries[0]


class KeepForm(forms.Form):
    reason = forms.CharField(
        label="Why it stays blocked",
        max_length=2000,
        help_text=REASON_HINT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reply = forms.CharField(
        label="A message for the person who asked (optional)",
        max_length=1000,
        required=False,
        help_text="They will see this. Write it simply, as for a child, and name nobody.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LogSearchForm(forms.Form):
    """Searching the filter log; every field may be left empty."""

    who = forms.CharField(
        label="Pupil or user",
        max_length=150,
        required=False,
        help_text="A network user name, or part of a pupil's or adult's name.",
    )
    address = forms.CharField(
        label="Device address",
        max_length=64,
        required=False,
        help_text="A whole address (10.2.0.31), its start (10.2.0.) or a /8, /16 or /24 range.",
    )
    domain = forms.CharField(label="Domain contains", max_length=255, required=False)
    category = forms.CharField(
        label="Category", max_length=100, required=False, help_text="For example adult."
    )
    action = forms.ChoiceField(label="Action", choices=ACTIONS, required=False)
    since = forms.DateTimeField(
        label="From", required=False, input_formats=DATETIME_FORMATS, widget=_when()
    )
    until = forms.DateTimeField(
        label="To", required=False, input_formats=DATETIME_FORMATS, widget=_when()
    )

    def clean_address(self) -> str:
        text = str(self.cleaned_data.get("address") or "").strip()
        try:
            address_prefix(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("'From' must not be after 'To'.")
        return data
