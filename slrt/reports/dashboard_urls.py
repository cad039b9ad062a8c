from django.urls import path, re_path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.dashboard, name="index"),
    # A Kemendagri code (dotted digits, up to a desa's 13 characters); scope is checked in the view.
    re_path(r"^(?P<code>[0-9][0-9.]{0,12})/$", views.dashboard, name="region"),
]
