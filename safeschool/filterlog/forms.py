from __future__ import annotations

from django import forms


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
