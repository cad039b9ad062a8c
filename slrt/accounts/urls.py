from django.contrib.auth import views as auth_views
from django.urls import path

from slrt.accounts.forms import LoginForm
from slrt.accounts.scoping import region_safe

app_name = "accounts"
urlpatterns = [
    path("masuk/", region_safe(auth_views.LoginView.as_view(template_name="accounts/login.html",
                                                          authentication_form=LoginForm)), name="login"),
    path("keluar/", region_safe(auth_views.LogoutView.as_view()), name="logout"),
]
