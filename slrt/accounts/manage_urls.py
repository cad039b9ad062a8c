from django.urls import path

from . import manage_views as v

app_name = "manage"
urlpatterns = [
    path("", v.account_list, name="accounts"),
    path("akun/baru/", v.account_create, name="account_new"),
    path("akun/<int:pk>/", v.account_detail, name="account"),
    path("akun/<int:pk>/nonaktifkan/", v.account_deactivate, name="account_deactivate"),
    path("akun/<int:pk>/aktifkan/", v.account_reactivate, name="account_reactivate"),
    path("akun/<int:pk>/reset-sandi/", v.account_reset_password, name="account_reset"),
    path("akun/<int:pk>/buka-kunci/", v.account_unlock, name="account_unlock"),
]
