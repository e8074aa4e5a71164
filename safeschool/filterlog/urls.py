from __future__ import annotations

from django.urls import path

from safeschool.filterlog import views

app_name = "filterlog"
base = "s/<slug:slug>/filtering/"
requests = base + "unblock-requests/"
urlpatterns = [
    path("blocked", views.blocked, name="blocked"),
    path("blocked/requests/<uuid:request_id>/", views.request_status, name="request_status"),
    path(requests, views.unblock_queue, name="unblock_queue"),
    path(requests + "<uuid:request_id>/", views.unblock_request, name="unblock_request"),
    path(
        requests + "<uuid:request_id>/<slug:decision>/",
        views.unblock_decide,
        name="unblock_decide",
    ),
    path(base + "logs/", views.logs, name="logs"),
    path(base + "logs.csv", views.logs_csv, name="logs_csv"),
]
