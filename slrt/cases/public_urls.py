"""The resident's public status page, mounted at the site root as `/status/` (no login)."""

from django.urls import path

from . import views

app_name = "status"
urlpatterns = [
    path("", views.public_status, name="public"),
]
