from __future__ import annotations

from django.urls import path

from safeschool.api import views

app_name = "api"
urlpatterns = [
    path("api/v1/openapi.json", views.openapi, name="openapi"),
    path("api/v1/pupils/", views.pupils, name="pupils"),
    path("api/v1/concerns/", views.concerns, name="concerns"),
    path("api/v1/concerns/<uuid:concern_id>/", views.concern, name="concern"),
    path("api/v1/alerts/", views.alerts, name="alerts"),
]
