from django.urls import path

from . import benefit_views, views

app_name = "programs"
urlpatterns = [
    path("", views.program_list, name="list"),
    path("aturan/baris/", views.rule_row, name="rule_row"),
    path("lembaga/", views.agency_list, name="agencies"),
    path("lembaga/baru/", views.agency_edit, name="agency_new"),
    path("lembaga/<int:pk>/", views.agency_detail, name="agency"),
    path("lembaga/<int:pk>/ubah/", views.agency_edit, name="agency_edit"),
    path("lembaga/<int:pk>/layanan/baru/", views.service_edit, name="service_new"),
    path("lembaga/<int:pk>/layanan/<int:service_pk>/", views.service_edit, name="service_edit"),
    path("keluarga/<int:pk>/", views.household_assessment, name="household"),
    path("penargetan/", views.targeting_list, name="targeting"),
    path("penargetan/<int:pk>/", views.targeting_detail, name="run"),
    path("penargetan/<int:pk>/excel/", views.targeting_export, name="run_export"),
    path("penargetan/<int:pk>/status/", views.targeting_status, name="run_status"),
    path("<str:code>/", views.program_detail, name="detail"),
    path("<str:code>/aturan/", views.rule_edit, name="rule_edit"),
    path("<str:code>/manfaat/", benefit_views.benefit_edit, name="benefit_edit"),
]
