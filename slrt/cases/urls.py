from django.urls import include, path

from . import views  # noqa: F401

app_name = "cases"
urlpatterns: list = [
    path("", include("slrt.cases.decision_urls")),
]
