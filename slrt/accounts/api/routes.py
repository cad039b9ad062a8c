from django.conf import settings
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from slrt.accounts import selectors, services, twofactor
from slrt.accounts.api.auth import BearerAuth
from slrt.accounts.lockout import count_failure, reset_account
from slrt.accounts.models import ApiToken, User
from slrt.accounts.roles import Role
from slrt.accounts.scoping import in_scope, region_safe
from slrt.accounts.sessions import request_user_agent
from slrt.audit.services import record
from slrt.core.api import ApiError
from slrt.wilayah.models import Region

router = Router(tags=["auth"])


class TokenIn(Schema):
    # Checked here (422 naming the field): a megabyte password would otherwise be hashed first.
    username: str = Field(max_length=User._meta.get_field("username").max_length)
    password: str = Field(max_length=4096)
    otp: str | None = Field(
        None, max_length=12,
        description="Kode 6 angka dari aplikasi autentikator; wajib bagi akun yang memakai verifikasi dua langkah",
    )


class TokenOut(Schema):
    token: str
    expires_at: str


@router.post("/token", auth=None, response=TokenOut)
@region_safe  # issues a token; reads no personal data
def issue_token(request, payload: TokenIn):
    # authenticate() with the request lets django-axes count failures and refuse a locked account
    # or address (the same lock-out as the web login and ODK Collect).
    user = authenticate(request, username=payload.username, password=payload.password)
    if getattr(request, "axes_locked_out", False):
        raise ApiError(429, "locked_out", _("Terlalu banyak percobaan gagal. Akun dikunci sementara."))
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_credentials", _("Nama pengguna atau kata sandi salah."))
    if user.must_change_password:  # a temporary password from a reset: the web change page first
        raise ApiError(403, "password_change_required", _(
            "Kata sandi akun ini direset. Masuk ke web SLRT dan ganti kata sandi sebelum meminta token."))
    second_factor = _second_factor(request, user, payload.otp)
    reset_account(user.get_username())
    token, raw = ApiToken.objects.issue(user, settings.SLRT_API_TOKEN_TTL_HOURS, label=request_user_agent(request))
    record(user, "auth.token", token, detail={"otp": second_factor})
    return {"token": raw, "expires_at": token.expires_at.isoformat()}


def _second_factor(request, user, otp: str | None) -> bool:
    """An account with an authenticator sends its code as `otp`; one of a required role without
    one is told to enrol on the web first. A wrong or replayed code counts as a failed sign-in
    (the lock-out), and the account's failures are not reset before the code passed. Recovery
    codes are for the web's recovery page, which then leads to re-enrolment, not for tokens."""
    if not twofactor.is_enrolled(user):
        if twofactor.required_for(user):
            raise ApiError(403, "otp_enrolment_required", twofactor.enrol_first_message())
        return False
    code = "".join((otp or "").split())
    if not code:
        raise ApiError(401, "otp_required", _("Akun ini memakai verifikasi dua langkah: kirim kode 6 angka dari "
                                              "aplikasi autentikator di kolom otp."))
    if not (len(code) == 6 and code.isascii() and code.isdigit()) or \
            services.verify_second_factor(user, code, kind="totp") is None:
        if count_failure(request, user.get_username()):
            raise ApiError(429, "locked_out", _("Terlalu banyak percobaan gagal. Akun dikunci sementara."))
        raise ApiError(401, "otp_invalid", _("Kode verifikasi dua langkah salah atau sudah dipakai; tunggu kode "
                                             "berikutnya di aplikasi autentikator."))
    return True


@router.post("/logout", auth=BearerAuth(), response={204: None}, summary="Cabut token pemanggil")
@region_safe  # ends the caller's own token; reads no personal data
def logout(request):
    """The token sent in `Authorization: Bearer` stops working at once (a later call with it
    answers 401). Other tokens of the account stay valid; the web account page ends those."""
    services.logout_token(request.api_token)
    return 204, None


# --- staff: the ids a task or visit assignment needs ----------------------------------------------

staff_router = Router(tags=["petugas"])


class StaffOut(Schema):
    id: int = Field(description="Dikirim sebagai assigned_to_id (tindak lanjut) atau assigned_to (kunjungan)")
    username: str
    name: str
    role: str
    role_display: str
    region: str
    region_name: str


@staff_router.get("/staff", response=list[StaffOut], summary="Petugas yang bertugas di satu wilayah")
@region_safe  # the region must lie inside the caller's scope (else 422); lists staff only, no resident data
def list_staff(
    request,
    region: str = Query(..., description="Kode wilayah (mis. desa kasus atau kunjungan), di dalam wilayah tugas"),
    role: str | None = Query(None, description="Saring per peran, mis. fasilitator"),
):
    user = request.auth
    if not selectors.may_list_staff(user):
        raise ApiError(403, "forbidden", _("Peran Anda tidak memiliki akses ke fungsi ini."))
    if role and role not in Role.values:
        raise ApiError(422, "invalid_role", _("Peran tidak dikenal; pilihan: %(r)s.") % {"r": ", ".join(Role.values)})
    code = (region or "").strip()
    if not Region.objects.filter(code=code).exists() or not in_scope(user, code):
        raise ApiError(422, "invalid_region", _("region harus kode wilayah di dalam wilayah tugas Anda."))
    return [
        {
            "id": u.pk,
            "username": u.username,
            "name": u.get_full_name() or u.username,
            "role": u.role,
            "role_display": str(u.get_role_display()),
            "region": u.region_id,
            "region_name": u.region.name if u.region_id else "",
        }
        for u in selectors.staff_covering(user, code, role=role or "")
    ]
