from __future__ import annotations

from django.urls import path

from safeschool.monitoring import views

app_name = "monitoring"
base = "s/<slug:slug>/monitoring/"
urlpatterns = [
    path(base, views.queue, name="queue"),
    path(base + "terms/", views.terms, name="terms"),
    path(base + "<uuid:alert_id>/", views.detail, name="detail"),
    path(base + "<uuid:alert_id>/<slug:outcome>/", views.triage, name="triage"),
]
