from django.urls import path

from . import desk_views, views

app_name = "wilayah"
urlpatterns = [
    path("", views.region_detail, name="index"),
    path("saran/", views.region_suggest, name="suggest"),
    path("kantor/", desk_views.desk_list, name="desks"),
    path("kantor/<str:kind>/baru/", desk_views.desk_new, name="desk_new"),
    path("kantor/<str:kind>/<int:pk>/", desk_views.desk_edit, name="desk_edit"),
    path("<str:code>/", views.region_detail, name="detail"),
]
