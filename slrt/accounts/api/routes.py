from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema

from slrt.accounts.models import ApiToken
from slrt.accounts.scoping import region_safe
from slrt.api.errors import ApiError
from slrt.audit.services import record

router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post("/token", auth=None, response=TokenOut)
@region_safe  # issues a token; reads no personal data
def issue_token(request, payload: TokenIn):
    # authenticate() with the request lets django-axes count failures and lock out.
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise ApiError(429, "locked_out", _("Terlalu banyak percobaan gagal. Akun dikunci sementara."))
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_credentials", _("Nama pengguna atau kata sandi salah."))
    token, raw = ApiToken.objects.issue(user, settings.SLRT_API_TOKEN_TTL_HOURS)
    record(user, "auth.token", token)
    return {"token": raw, "expires_at": token.expires_at.isoformat()}
