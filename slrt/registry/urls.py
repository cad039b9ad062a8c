from django.urls import path

from . import views

app_name = "registry"
urlpatterns = [
    path("cari/", views.search, name="search"),
    path("cari/wilayah/", views.region_options, name="region_options"),
    path("warga/<int:pk>/", views.person_detail, name="person"),
    path("keluarga/<int:pk>/", views.household_detail, name="household"),
    path("impor/", views.import_list, name="imports"),
    path("impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("impor/<int:pk>/progres/", views.import_progress, name="import_progress"),
    path("impor/<int:pk>/galat.csv", views.import_errors, name="import_errors"),
    path("duplikat/", views.duplicate_list, name="duplicates"),
    path("duplikat/<int:pk>/", views.duplicate_detail, name="duplicate_detail"),
    path("duplikat/<int:pk>/gabung/", views.duplicate_merge, name="duplicate_merge"),
    path("duplikat/<int:pk>/bukan-duplikat/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplikat/<int:pk>/batalkan/", views.duplicate_undo, name="duplicate_undo"),
    path("duplikat/<int:pk>/buka-kembali/", views.duplicate_reopen, name="duplicate_reopen"),
]
