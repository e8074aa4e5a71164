from __future__ import annotations

from typing import Any

from django import forms

from safeschool.concerns.models import Category, ConcernType, PupilRole
from safeschool.monitoring.models import Alert, MonitoringCategory, TermChange
from safeschool.people.models import Pupil

# The concern type a monitoring category most often becomes; the DSL can change it.
CONCERN_TYPE_FOR = {
    "bullying": ConcernType.ONLINE_BULLYING,
    "child_sexual_exploitation": ConcernType.GROOMING,
    "extremism": ConcernType.RADICALISATION,
    "self_harm": ConcernType.SELF_HARM,
    "suicide": ConcernType.SELF_HARM,
    "bypass": ConcernType.FILTERING_BREACH,
    "illegal": ConcernType.HARMFUL_CONTENT,
}


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class RaiseForm(forms.Form):
    pupil = forms.ModelChoiceField(queryset=Pupil.objects.none(), label="Pupil")
    role = forms.ChoiceField(choices=PupilRole.choices, initial=PupilRole.SUBJECT)
    category = forms.ChoiceField(choices=Category.choices, initial=Category.CONTENT)
    concern_type = forms.ChoiceField(label="Type", choices=ConcernType.choices)
    account = forms.CharField(
        label="What the monitoring showed", widget=forms.Textarea(attrs={"rows": 8})
    )
    urgent = forms.BooleanField(required=False)

    def __init__(self, *args: Any, alert: Alert, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["pupil"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Pupil.objects.filter(school=alert.school)
        self.fields["pupil"].initial = alert.pupil_id
        self.fields["concern_type"].initial = CONCERN_TYPE_FOR.get(
            alert.category, ConcernType.HARMFUL_CONTENT
        )
        self.fields["urgent"].initial = alert.severity >= 4
        self.fields["account"].initial = account_from(alert)


def account_from(alert: Alert) -> str:
    """The alert's context, written out for the concern's account."""
    lines = [
        f"Monitoring alert: {alert.get_category_display()}, severity {alert.severity} "
        f"({alert.get_rule_display()}).",
        f"Who: {alert.who}. Address: {alert.client or 'unknown'}.",
        f"From {alert.first_at:%d/%m/%Y %H:%M} to {alert.last_at:%H:%M}, "
        f"{alert.event_count} event(s).",
    ]
    if alert.matched_text:
        lines.append(
            f"Matched: {alert.matched_text}" + (f" (term: {alert.term})" if alert.term else "")
        )
    lines.append("Requests:")
    for item in alert.context[:20]:
        if isinstance(item, dict):
            what = item.get("search") or item.get("url") or item.get("host")
            lines.append(f"- {item.get('at', '')[:16]} {item.get('action', '')} {what}")
        else:
            lines.append(f"- {item}")
    return "\n".join(lines)


class TermChangeForm(forms.Form):
    term = forms.CharField(max_length=200)
    change = forms.ChoiceField(choices=TermChange.Change.choices)
    category = forms.ChoiceField(choices=[("", "—"), *MonitoringCategory.choices], required=False)
    severity = forms.IntegerField(min_value=1, max_value=5, required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
