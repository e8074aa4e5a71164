"""The guided form for the annual filtering and monitoring review."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils import timezone

from safeschool.filtering.models import AnnualReview
from safeschool.filtering.reviews import one_year_after

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TEXT = {"rows": 5}


@dataclass
class Section:
    """A fieldset of the form; iterates like a form so core/_form.html can render it."""

    legend: str
    hint: str
    fields: list[BoundField]
    errors: dict[str, Any] = field(default_factory=dict)  # the summary is shown once, above

    def __iter__(self) -> Iterator[BoundField]:
        return iter(self.fields)


SECTIONS = (
    ("When", "The date the review took place.", ("review_date",)),
    (
        "Who took part",
        "DfE standard 2: the review is carried out by leadership, the designated safeguarding lead "
        "and IT (your network manager or IT provider), with the governor responsible for filtering "
        "and monitoring. Tick each that took part and give their names and roles.",
        (
            "leadership_took_part",
            "leadership_names",
            "dsl_took_part",
            "dsl_names",
            "it_took_part",
            "it_names",
            "governor_took_part",
            "governor_names",
        ),
    ),
    (
        "What was checked",
        "For example: the risks your pupils face, what is blocked for each group and why, the "
        "latest filtering check results, how alerts reach the DSL, staff training, and any "
        "changes since the last review.",
        ("what_was_checked",),
    ),
    ("Results", "What the review found, including any over-blocking or gaps.", ("results",)),
    ("Actions", "What will change, who will do it and by when.", ("actions",)),
    (
        "Next review",
        "At least once a year, and sooner after a serious incident or a big change.",
        ("next_review_due",),
    ),
)


class ReviewForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = AnnualReview
        fields = [name for _, _, names in SECTIONS for name in names]
        labels = {
            "review_date": "Date of the review",
            "leadership_took_part": "Leadership took part",
            "leadership_names": "Leaders: names and roles",
            "dsl_took_part": "The DSL took part",
            "dsl_names": "DSL: name",
            "it_took_part": "IT took part",
            "it_names": "IT: names and organisation",
            "governor_took_part": "The governor took part",
            "governor_names": "Governor: name",
            "what_was_checked": "What was checked",
            "results": "Results",
            "actions": "Actions",
            "next_review_due": "Next review due",
        }
        help_texts = {"next_review_due": "A year after the review unless you choose sooner."}
        widgets = {
            "review_date": DATE,
            "next_review_due": DATE,
            "what_was_checked": forms.Textarea(attrs=TEXT),
            "results": forms.Textarea(attrs=TEXT),
            "actions": forms.Textarea(attrs=TEXT),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["review_date"].initial = today
        self.fields["next_review_due"].initial = one_year_after(today)
        self.fields["next_review_due"].required = False

    def sections(self) -> list[Section]:
        return [
            Section(legend, hint, [self[name] for name in names])
            for legend, hint, names in SECTIONS
        ]

    def review_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}
