from django.urls import path

from slrt.core.views import admin_hub

from . import views

# The home keeps its name `core:home`: LOGIN_REDIRECT_URL, base.html, the error pages, the menu
# and the tests all name it so; the view moved here from core, the URL did not change.
app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("kelola/", admin_hub, name="admin"),
]
