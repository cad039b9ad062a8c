from django.urls import path

from . import views

app_name = "updates"
urlpatterns: list = [
    path("", views.proposal_list, name="list"),
    path("baru/", views.proposal_create, name="create"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
    path("<int:pk>/ubah/", views.proposal_edit, name="edit"),
    path("<int:pk>/aksi/", views.proposal_transition, name="transition"),
    path("musyawarah/baru/", views.meeting_create, name="meeting_create"),
    path("musyawarah/<int:pk>/", views.meeting_detail, name="meeting"),
    path("musyawarah/<int:pk>/berita-acara/", views.meeting_minutes, name="meeting_minutes"),
    path("berkas/", views.batch_list, name="batches"),
    path("berkas/<int:pk>/unduh/<str:fmt>/", views.batch_download, name="batch_download"),
    path("berkas/<int:pk>/ajukan/", views.batch_submit, name="batch_submit"),
    path("rekonsiliasi/", views.reconciliation_list, name="reconciliations"),
    path("rekonsiliasi/<int:pk>/", views.reconciliation_detail, name="reconciliation"),
]
