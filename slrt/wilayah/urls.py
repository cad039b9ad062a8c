from django.urls import path

from . import views

app_name = "wilayah"
urlpatterns = [
    path("", views.region_detail, name="index"),
    path("saran/", views.region_suggest, name="suggest"),
    path("<str:code>/", views.region_detail, name="detail"),
]
