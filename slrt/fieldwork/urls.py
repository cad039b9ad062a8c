from django.urls import path

from . import views

app_name = "fieldwork"
urlpatterns: list = [
    path("", views.tasks, name="tasks"),
    path("odk/", views.collect_setup, name="collect_setup"),
    path("kunjungan/", views.visit_list, name="visits"),
    path("kunjungan/baru/", views.assign, name="assign"),
    path("kunjungan/<int:pk>/", views.visit_detail, name="visit"),
    path("kunjungan/<int:pk>/alihkan/", views.visit_reassign, name="reassign"),
    path("kunjungan/<int:pk>/batal/", views.visit_cancel, name="cancel"),
    path("tinjauan/", views.review_queue, name="review_queue"),
    path("kiriman/<int:pk>/", views.submission_detail, name="submission"),
    path("kiriman/<int:pk>/tinjau/", views.submission_review, name="review"),
    path("kiriman/<int:pk>/konflik/", views.submission_resolve, name="resolve"),
    path("kiriman/<int:pk>/lampiran/<int:att>/", views.attachment, name="attachment"),
]
