"""Filtering checks and the annual review. Included into the `filtering` namespace by
filtering/urls.py, so the names are filtering:checks, filtering:run_checks and so on."""

from __future__ import annotations

from django.urls import path

from safeschool.filtering import views_checks as views

base = "s/<slug:slug>/filtering/"
urlpatterns = [
    path(base + "checks/", views.check_list, name="checks"),
    path(base + "checks/run/", views.run_checks, name="run_checks"),
    path(base + "reviews/", views.review_list, name="reviews"),
    path(base + "reviews/new/", views.review_new, name="review_new"),
    path(base + "reviews/<uuid:review_id>/", views.review_detail, name="review"),
]
