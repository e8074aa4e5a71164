"""Filtering breaches involving a pupil (seed 004). Included into the `filtering` namespace by
filtering/urls.py, so the names are filtering:breaches, filtering:breach_new and so on."""

from __future__ import annotations

from django.urls import path

from safeschool.filtering import views_breaches as views

base = "s/<slug:slug>/filtering/breaches/"
urlpatterns = [
    path(base, views.breach_list, name="breaches"),
    path(base + "new/", views.breach_new, name="breach_new"),
    path(base + "<uuid:breach_id>/", views.breach_detail, name="breach"),
    path(base + "<uuid:breach_id>/<slug:step>/", views.breach_step, name="breach_step"),
]
