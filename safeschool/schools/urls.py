from __future__ import annotations

from django.urls import path

from safeschool.schools import views

app_name = "schools"
urlpatterns = [
    path("", views.home, name="home"),
    path("s/<slug:slug>/", views.detail, name="detail"),
    path("s/<slug:slug>/key-people/add/", views.appoint, name="appoint"),
    path(
        "s/<slug:slug>/key-people/<uuid:appointment_id>/end/",
        views.end_appointment,
        name="end_appointment",
    ),
]
