from __future__ import annotations

from django.urls import path

from safeschool.audit import views

app_name = "audit"
urlpatterns = [path("s/<slug:slug>/audit/", views.audit_log, name="log")]
