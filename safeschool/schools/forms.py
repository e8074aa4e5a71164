from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from safeschool.people.models import Adult
from safeschool.schools.models import KeyRole, School


class AppointmentForm(forms.Form):
    role = forms.ChoiceField(choices=KeyRole.choices)
    person = forms.ModelChoiceField(queryset=Adult.objects.none(), label="Person")
    starts_on = forms.DateField(
        label="Starts on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    review_due = forms.DateField(
        label="Review due (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Adult.objects.filter(school=school, left_on__isnull=True)


class EndAppointmentForm(forms.Form):
    ends_on = forms.DateField(
        label="Ends on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
