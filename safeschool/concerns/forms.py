from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from safeschool.accounts.models import User
from safeschool.concerns.models import (
    Agency,
    AllegationLevel,
    AllegationOutcome,
    Category,
    ConcernType,
    PupilRole,
)
from safeschool.people.models import Adult, Pupil
from safeschool.schools.models import School

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ConcernForm(forms.Form):
    category = forms.ChoiceField(
        choices=Category.choices,
        widget=forms.RadioSelect,
        help_text="Content, contact, conduct or commerce (the 4 Cs).",
    )
    concern_type = forms.ChoiceField(label="Type", choices=ConcernType.choices)
    account = forms.CharField(
        label="What was seen or heard",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Use the child's own words where you can. Facts, not opinions.",
    )
    occurred_at = forms.DateTimeField(
        label="When it happened",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label="Where it happened", required=False, max_length=200)
    immediate_action = forms.CharField(
        label="Immediate action taken", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    urgent = forms.BooleanField(
        label="Urgent: a child may be at risk of harm now",
        required=False,
        help_text="The safeguarding team is told at once, and should act by the end of the lesson.",
    )
    about_adult = forms.ModelChoiceField(
        label="Is this about an adult? (member of staff, volunteer or governor)",
        queryset=Adult.objects.none(),
        required=False,
        empty_label="No, it is about pupils",
        help_text="An allegation is seen only by the headteacher and the DSL, "
        "or the chair of governors if it concerns the headteacher.",
    )
    allegation_level = forms.ChoiceField(
        label="If about an adult: how serious",
        choices=[("", "—"), *AllegationLevel.choices],
        required=False,
    )
    attachments = MultipleFileField(
        required=False, help_text="Optional. Never attach images of nudes or semi-nudes."
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.school = school
        self.pupils: list[tuple[Pupil, str]] = []
        field = self.fields["about_adult"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Adult.objects.filter(school=school, left_on__isnull=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.pupils = self._clean_pupils(self.data)
        if not self.pupils and not data.get("about_adult"):
            raise ValidationError("Add at least one pupil, or choose the adult it is about.")
        if data.get("about_adult") and not data.get("allegation_level"):
            self.add_error(
                "allegation_level", "Choose whether this is an allegation or a low-level concern."
            )
        return data

    def _clean_pupils(self, data: Any) -> list[tuple[Pupil, str]]:
        ids = data.getlist("pupil") if isinstance(data, QueryDict) else data.get("pupil", [])
        found = {str(p.pk): p for p in Pupil.objects.filter(school=self.school, pk__in=ids)}
        chosen: list[tuple[Pupil, str]] = []
        for pupil_id in dict.fromkeys(ids):
            role = data.get(f"role_{pupil_id}", "")
            if pupil_id not in found:
                raise ValidationError("One of the pupils chosen is not at this school.")
            if role not in PupilRole.values:
                raise ValidationError(f"Choose a role for {found[pupil_id].full_name}.")
            chosen.append((found[pupil_id], role))
        return chosen


def team_members(school: School) -> Any:
    return User.objects.filter(memberships__school=school).distinct().order_by("first_name")


class TriageForm(forms.Form):
    owner = forms.ModelChoiceField(label="Case owner", queryset=User.objects.none())
    note = forms.CharField(
        label="Triage note", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_members(school)  # type: ignore[attr-defined]


class OwnerForm(forms.Form):
    owner = forms.ModelChoiceField(label="New case owner", queryset=User.objects.none())

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = team_members(school)  # type: ignore[attr-defined]


class ActionForm(forms.Form):
    description = forms.CharField(label="What is to be done", max_length=2000)
    assigned_to = forms.ModelChoiceField(label="Who", queryset=User.objects.none())
    due_on = forms.DateField(label="Due", widget=DATE, initial=timezone.localdate)

    def __init__(self, *args: Any, school: School, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = team_members(school)  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    not_to_refer = forms.BooleanField(label="This is a decision not to refer", required=False)


class ReferralForm(forms.Form):
    agency = forms.ChoiceField(choices=Agency.choices)
    referred_on = forms.DateField(label="Referred on", widget=DATE, initial=timezone.localdate)
    reference = forms.CharField(label="Their reference", required=False, max_length=100)
    response = forms.CharField(
        label="Their response", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ParentsForm(forms.Form):
    informed = forms.TypedChoiceField(
        label="Were parents or carers informed?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    informed_on = forms.DateField(label="When", required=False, widget=DATE)
    who = forms.CharField(label="Who was informed, and by whom", required=False, max_length=200)
    reason_not_informed = forms.CharField(
        label="If not, why not", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(forms.Form):
    text = forms.CharField(label="Further information", widget=forms.Textarea(attrs={"rows": 3}))


class AccountForm(forms.Form):
    text = forms.CharField(label="Corrected account", widget=forms.Textarea(attrs={"rows": 6}))
    reason = forms.CharField(label="Why it is being changed", max_length=300)


class AttachmentForm(forms.Form):
    file = forms.FileField()


class CloseForm(forms.Form):
    outcome = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    lessons_learnt = forms.CharField(
        label="Lessons learnt",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Any change to policy, practice or curriculum.",
    )
    allegation_outcome = forms.ChoiceField(
        label="Outcome of the allegation",
        required=False,
        choices=[("", "—"), *AllegationOutcome.choices],
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label="Why reopen it", widget=forms.Textarea(attrs={"rows": 2}))


class ReporterAccessForm(forms.Form):
    granted = forms.BooleanField(
        label="Let the reporter see how this is being handled", required=False
    )
