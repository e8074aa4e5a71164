"""Log-in throttling: too many recent failures for a user name, or from an address, lock
further attempts until the window has passed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from safeschool.accounts.models import LoginFailure


def _window_start() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def is_locked(username: str, address: str | None) -> bool:
    """True when the user name, or the address, has reached the failure limit."""
    recent = LoginFailure.objects.filter(at__gte=_window_start())
    by_name = recent.filter(username__iexact=username).count()
    by_address = recent.filter(address=address).count() if address else 0
    # An address may mistype more often than one account, as a class shares one address.
    address_limit = settings.LOGIN_MAX_FAILURES * 6
    return by_name >= settings.LOGIN_MAX_FAILURES or by_address >= address_limit


def note_failure(username: str, address: str | None) -> None:
    LoginFailure.objects.create(username=username[:150], address=address)
    # Old rows are no longer needed for any decision.
    LoginFailure.objects.filter(at__lt=_window_start()).delete()


def clear_failures(username: str) -> None:
    """After a good log-in, forget that user name's failures (not the address's)."""
    LoginFailure.objects.filter(username__iexact=username).delete()
