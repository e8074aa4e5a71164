from __future__ import annotations

from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "safeschool.concerns"
    label = "concerns"
    verbose_name = "Safeguarding concerns"
