from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "slrt.accounts"
    verbose_name = _("Akun")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.core import checks

        from slrt.accounts import sessions
        from slrt.accounts.lockout import reset_on_login
        from slrt.accounts.twofactor import check_roles_setting

        user_logged_in.connect(reset_on_login, dispatch_uid="slrt.accounts.lockout.reset_on_login")
        # Signed-in sessions are recorded for the account page (sessions.py).
        user_logged_in.connect(sessions.on_logged_in, dispatch_uid="slrt.accounts.sessions.on_logged_in")
        user_logged_out.connect(sessions.on_logged_out, dispatch_uid="slrt.accounts.sessions.on_logged_out")
        checks.register(check_roles_setting)
