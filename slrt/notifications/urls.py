from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.outbox, name="outbox"),
    path("<int:pk>/kirim-ulang/", views.retry, name="retry"),
]
