from __future__ import annotations

from django.urls import path

from safeschool.filterlog import views

app_name = "filterlog"
urlpatterns = [path("blocked", views.blocked, name="blocked")]
