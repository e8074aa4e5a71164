from __future__ import annotations

from django.urls import path

from safeschool.people import views

app_name = "people"
urlpatterns = [
    path("s/<slug:slug>/pupils/", views.pupil_list, name="pupils"),
    path("s/<slug:slug>/pupils/<uuid:pupil_id>/", views.pupil_detail, name="pupil"),
    path("s/<slug:slug>/classes/", views.class_list, name="classes"),
    path("s/<slug:slug>/staff/", views.adult_list, name="adults"),
]
