from django.contrib.auth import views as auth_views
from django.urls import path

from slrt.accounts import account_views
from slrt.accounts.forms import LoginForm
from slrt.accounts.scoping import region_safe

app_name = "accounts"
urlpatterns = [
    path("masuk/", region_safe(auth_views.LoginView.as_view(template_name="accounts/login.html",
                                                          authentication_form=LoginForm)), name="login"),
    path("keluar/", region_safe(auth_views.LogoutView.as_view()), name="logout"),
    # The account page: password, sessions, API tokens (account_views).
    path("", account_views.AccountView.as_view(), name="account"),
    path("sandi/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("sandi/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path("sesi/<int:pk>/akhiri/", account_views.EndSessionView.as_view(), name="session_end"),
    path("sesi/akhiri-lainnya/", account_views.EndOtherSessionsView.as_view(), name="sessions_end_others"),
    path("token/<int:pk>/cabut/", account_views.RevokeTokenView.as_view(), name="token_revoke"),
    path("token/cabut-semua/", account_views.RevokeAllTokensView.as_view(), name="tokens_revoke_all"),
]
