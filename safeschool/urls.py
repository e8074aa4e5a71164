from __future__ import annotations

from django.urls import include, path

from safeschool.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("safeschool.accounts.urls")),
    path("", include("safeschool.schools.urls")),
    path("", include("safeschool.people.urls")),
    path("", include("safeschool.audit.urls")),
    path("", include("safeschool.notifications.urls")),
    path("", include("safeschool.concerns.urls")),
    path("", include("safeschool.api.urls")),
    path("", include("safeschool.monitoring.urls")),
    path("", include("safeschool.filterlog.urls")),
    path("", include("safeschool.filtering.urls")),
]
