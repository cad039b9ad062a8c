from django.urls import path

from . import audit_views

app_name = "audit_log"
urlpatterns = [
    path("", audit_views.audit_log_page, name="list"),
]
