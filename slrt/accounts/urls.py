from django.contrib.auth import views as auth_views
from django.urls import path

from slrt.accounts import account_views, twofactor_views
from slrt.accounts.scoping import region_safe

app_name = "accounts"
urlpatterns = [
    # Password, then (for an account with an authenticator) the code: twofactor_views.
    path("masuk/", twofactor_views.SignInView.as_view(), name="login"),
    path("masuk/kode/", twofactor_views.SecondStepView.as_view(), name="otp_verify"),
    path("masuk/pemulihan/", twofactor_views.RecoveryStepView.as_view(), name="otp_recover"),
    path("dua-langkah/", twofactor_views.TwoFactorView.as_view(), name="two_factor"),
    path("dua-langkah/daftar/", twofactor_views.EnrolView.as_view(), name="otp_enrol"),
    path("dua-langkah/reset/", twofactor_views.ResetTwoFactorView.as_view(), name="otp_reset"),
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
