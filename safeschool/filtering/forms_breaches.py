"""Forms for filtering breaches: the new-breach form and the steps on a breach's page."""

from __future__ import annotations

from typing import Any

from django import forms

from safeschool.concerns.models import Category
from safeschool.filtering.breaches import ILLEGAL
from safeschool.filtering.models import ExternalBody, FilterCategory
from safeschool.people.models import Pupil
from safeschool.schools.models import School

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CATEGORIES = [
    ("", "Choose a category"),
    *FilterCategory.choices,
    (ILLEGAL, "Illegal content (IWF or CTIRU list)"),
    ("other", "Other"),
]


class BreachForm(forms.Form):
    pupil = forms.ModelChoiceField(
        queryset=Pupil.objects.none(), label="Pupil", empty_label="Choose the pupil"
    )
    occurred_at = forms.DateTimeField(label="When it happened", widget=WHEN)
    url = forms.CharField(
        label="Address or site",
        max_length=2000,
        help_text="The web address or site name the pupil tried to reach.",
    )
    category = forms.ChoiceField(label="Filter category", choices=CATEGORIES, required=False)
    what_happened = forms.CharField(
        label="What happened",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What the pupil was doing, what they saw, and what was done at the time.",
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pupil"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Pupil.objects.filter(school=school)
        self._offer_logged_category()

    def _offer_logged_category(self) -> None:
        """A category the filter logged that is not one of ours is still offered."""
        logged = self.data.get("category") if self.is_bound else self.initial.get("category")
        field = self.fields["category"]
        assert isinstance(field, forms.ChoiceField)
        if logged and logged not in dict(CATEGORIES):
            field.choices = [*CATEGORIES, (logged, f"{logged} (as the filter logged it)")]


class ParentsForm(forms.Form):
    informed = forms.TypedChoiceField(
        label="Were parents or carers informed?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    informed_on = forms.DateField(label="When", required=False, widget=DATE)
    how = forms.CharField(
        label="Who was informed, by whom and how",
        required=False,
        max_length=200,
        help_text="For example: mother, by the DSL, by telephone.",
    )
    reason_not_informed = forms.CharField(
        label="If not, why not",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example: informing them could put the child at risk.",
    )


class ReportForm(forms.Form):
    reported_to = forms.ChoiceField(
        label="Reported to", choices=[("", "Choose"), *ExternalBody.choices]
    )
    reported_on = forms.DateField(label="When", widget=DATE)
    reference = forms.CharField(label="Their reference", required=False, max_length=100)


class RaiseForm(forms.Form):
    category = forms.ChoiceField(choices=Category.choices, initial=Category.CONTENT)
    account = forms.CharField(
        label="Account for the concern",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Filled in from the breach; add anything else that is known.",
    )
    urgent = forms.BooleanField(required=False)


class CloseForm(forms.Form):
    note = forms.CharField(
        label="How was it resolved?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done, and any change to filtering, teaching or policy as a result.",
    )
