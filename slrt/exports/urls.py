from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("tugas/<int:pk>/", views.job_detail, name="job"),
    path("tugas/<int:pk>/status/", views.job_status, name="job_status"),
    path("tugas/<int:pk>/unduh/", views.job_download, name="job_download"),
    path("<slug:name>/", views.export, name="export"),
]
