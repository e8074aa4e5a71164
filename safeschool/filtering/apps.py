from __future__ import annotations

from django.apps import AppConfig


class FilteringConfig(AppConfig):
    name = "safeschool.filtering"
    label = "filtering"
    verbose_name = "Filtering"
