from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from slrt.accounts.models import ApiToken


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        user = ApiToken.objects.authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(NinjaSessionAuth):
    """Browser session (with CSRF), so HTMX pages can call the same API."""
