from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safeschool.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"
