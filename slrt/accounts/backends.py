"""Password login that also fills the digest key (`User.digest_ha1`) of accounts created before
ODK Collect support: after one web (or API token) login the account works in Collect too,
without a password reset."""

from django.contrib.auth.backends import ModelBackend

from .models import digest_ha1


class PasswordBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and password and not user.digest_ha1:
            user.digest_ha1 = digest_ha1(user.username, password)
            user.save(update_fields=["digest_ha1"])
        return user
