"""OpenRosa 1.0 for ODK Collect, at the server root as SPEC fixes it (Collect's server URL is the
site address; it appends /formList and /submission itself)."""

from django.urls import path

from . import views

app_name = "openrosa"
urlpatterns = [
    path("formList", views.form_list, name="form_list"),
    path("forms/<str:form_id>/form.xml", views.form_xml, name="form_xml"),
    path("forms/<str:form_id>/manifest", views.manifest, name="manifest"),
    path("forms/<str:form_id>/media/<str:filename>", views.media_file, name="media"),
    path("submission", views.submission, name="submission"),
]
