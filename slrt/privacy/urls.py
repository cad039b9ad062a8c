from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("", views.request_list, name="list"),
    path("baru/warga/<int:person_pk>/", views.request_new, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/verifikasi/", views.request_verify, name="verify"),
    path("<int:pk>/salinan/", views.request_copy, name="copy"),
    path("<int:pk>/salinan-ulang/", views.request_copy_again, name="copy_again"),
    path("<int:pk>/perbaikan-registri/", views.request_propose, name="propose"),
    path("<int:pk>/perbaikan-kasus/", views.request_correct_case, name="correct_case"),
    path("<int:pk>/aksi/", views.request_transition, name="transition"),
]
