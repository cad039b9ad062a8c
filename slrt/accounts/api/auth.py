from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from slrt.accounts.models import ApiToken


class BearerAuth(HttpBearer):
    def authenticate(self, request, token):
        found = ApiToken.objects.find(token)
        if found is None:
            return None
        request.user = found.user
        request.api_token = found  # POST /auth/logout revokes the token that made the call
        return found.user


class SessionAuth(NinjaSessionAuth):
    """Browser session (with CSRF), so HTMX pages can call the same API."""
