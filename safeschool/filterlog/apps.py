from __future__ import annotations

from django.apps import AppConfig


class FilterLogConfig(AppConfig):
    name = "safeschool.filterlog"
    label = "filterlog"
    verbose_name = "Filter log"
