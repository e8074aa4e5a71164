from __future__ import annotations

from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "safeschool.schools"
    label = "schools"
    verbose_name = "Schools"
