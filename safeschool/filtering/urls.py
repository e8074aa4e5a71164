from __future__ import annotations

from django.urls import path

from safeschool.filtering import urls_breaches, urls_checks, views

app_name = "filtering"
base = "s/<slug:slug>/filtering/"
urlpatterns = [
    path(base, views.overview, name="overview"),
    path(base + "propose/", views.propose, name="propose"),
    path(base + "emergency/", views.emergency, name="emergency"),
    path(base + "groups/<uuid:group_id>/", views.group_settings, name="group_settings"),
    path(base + "changes/", views.changes, name="changes"),
    path(base + "changes/<uuid:change_id>/", views.change_detail, name="change"),
    path(base + "changes/<uuid:change_id>/<slug:decision>/", views.decide, name="decide"),
    path(base + "sources/", views.source_list, name="sources"),
    path(base + "schedules/new/", views.schedule_new, name="schedule_new"),
    path(
        base + "schedules/<uuid:schedule_id>/change/",
        views.schedule_change,
        name="schedule_change",
    ),
    path(
        base + "schedules/<uuid:schedule_id>/remove/",
        views.schedule_remove,
        name="schedule_remove",
    ),
]

# Filtering checks and the annual review (DfE standard 2).
urlpatterns += urls_checks.urlpatterns
urlpatterns += urls_breaches.urlpatterns
