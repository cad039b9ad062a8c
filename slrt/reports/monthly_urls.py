from django.urls import path

from . import monthly_views as views

app_name = "monthly_reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("buat/", views.report_request, name="request"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status/", views.report_status, name="status"),
    path("<int:pk>/unduh/<str:fmt>/", views.report_download, name="download"),
]
