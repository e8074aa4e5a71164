from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from safeschool.accounts import throttle
from safeschool.audit.services import client_address

LOCKED_MESSAGE = (
    "Too many failed attempts. Wait 15 minutes, then try again, or ask your administrator to help."
)


class LoginForm(AuthenticationForm):
    """Django's log-in form, refusing even a right password while the throttle is on."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if throttle.is_locked(username, client_address(self.request)):
            raise forms.ValidationError(LOCKED_MESSAGE, code="locked")
        return super().clean()
