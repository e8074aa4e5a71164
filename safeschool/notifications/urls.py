from __future__ import annotations

from django.urls import path

from safeschool.notifications import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/<uuid:notification_id>/open/", views.open_notification, name="open"),
]
