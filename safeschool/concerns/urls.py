from __future__ import annotations

from django.urls import path

from safeschool.concerns import views

app_name = "concerns"
base = "s/<slug:slug>/concerns/"
one = base + "<uuid:concern_id>/"
urlpatterns = [
    path(base, views.concern_list, name="list"),
    path(base + "new/", views.new_concern, name="new"),
    path(base + "dashboard/", views.dashboard, name="dashboard"),
    path(base + "pupil-search/", views.pupil_search, name="pupil_search"),
    path(base + "pupil-row/<uuid:pupil_id>/", views.pupil_row, name="pupil_row"),
    path(one, views.concern_detail, name="detail"),
    path(one + "recorded/", views.recorded, name="recorded"),
    path(one + "actions/<uuid:action_id>/done/", views.action_done, name="action_done"),
    path(one + "files/<uuid:attachment_id>/", views.attachment, name="attachment"),
    path(one + "<slug:step>/", views.concern_step, name="step"),
    path("s/<slug:slug>/pupils/<uuid:pupil_id>/chronology/", views.chronology, name="chronology"),
]
