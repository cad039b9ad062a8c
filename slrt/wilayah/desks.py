"""The service desks' letterheads and signatories: what a letter of a desk prints.

A desk is a secretariat (kab/kota) or a Puskesos post (desa). Reads and the writes of the
desk settings page live here; every write validates, runs in one transaction and is audited.
Who may change a desk: the Admin of a region containing it, the Manajer of its kab/kota.
"""

import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from slrt.accounts.roles import Role, can
from slrt.audit.services import record

from .models import NATION_CODE, Puskesos, Secretariat, Signatory

LOGO_MAX_BYTES = 1024 * 1024
LOGO_MAX_PIXELS = 2000  # per side; a letterhead logo is printed about 2 cm wide
LOGO_MIN_PIXELS = 32
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
NIP_LENGTH = 18

SECRETARIAT, PUSKESOS = "sekretariat", "puskesos"
LETTERHEAD_FIELDS = ("address", "phone", "email")


# --- reads -------------------------------------------------------------------------------------


def _region_filter(user, path: str) -> Q | None:
    if not can(user, "manage_letterhead") or not user.region_id:
        return None
    code = user.region_id
    if code == NATION_CODE:
        return Q()
    if user.role == Role.MANAJER or code.count(".") <= 1:
        # A kab/kota (the Manajer's) or a province: the secretariats inside it.
        return Q(**{f"{path}region_id": code}) | Q(**{f"{path}region__code__startswith": f"{code}."})
    return None  # below the kab/kota a user has no secretariat to run


def secretariats_for_user(user):
    q = _region_filter(user, "")
    return Secretariat.objects.none() if q is None else Secretariat.objects.filter(q).select_related("region")


def puskesos_for_user(user):
    q = _region_filter(user, "secretariat__")
    return Puskesos.objects.none() if q is None else Puskesos.objects.filter(q).select_related("region")


def desk_for_user(user, kind: str, pk):
    """The desk if the user may change it, else None (the view answers 404)."""
    qs = {SECRETARIAT: secretariats_for_user, PUSKESOS: puskesos_for_user}.get(kind)
    return qs(user).filter(pk=pk).first() if qs else None


def desk_kind(desk) -> str:
    return PUSKESOS if isinstance(desk, Puskesos) else SECRETARIAT


def _field(desk) -> str:
    return "puskesos" if isinstance(desk, Puskesos) else "secretariat"


def signatories_of(desk):
    return Signatory.objects.filter(**{_field(desk): desk})


def issuing_desk(case, user=None):
    """The desk whose letterhead a letter of this case carries: the case's Puskesos post when a
    Koordinator Puskesos decided it there, otherwise the secretariat of the case's kab/kota."""
    if user is not None and getattr(user, "role", "") == Role.KOORDINATOR_PUSKESOS and case.puskesos_id:
        return case.puskesos
    if case.secretariat_id:
        return case.secretariat
    return Secretariat.objects.filter(region_id=case.kab_code).first()


def letter_desk(letter):
    """The desk a letter came from, read back when it is (re)printed: the case's Puskesos post
    if the letter's NIP is one of that post's signatories, otherwise the secretariat."""
    case = letter.case
    if case.puskesos_id and letter.signer_nip and case.puskesos.signatories.filter(nip=letter.signer_nip).exists():
        return case.puskesos
    return issuing_desk(case)


def default_signatory(desk) -> Signatory | None:
    if desk is None:
        return None
    return signatories_of(desk).filter(is_default=True).first()


@dataclass
class Letterhead:
    name: str
    address: str
    phone: str
    email: str
    # The stored logo for reportlab: its absolute path on a folder storage, its bytes (BytesIO) on a
    # storage without paths (S3, README "Files on several machines"), or "".
    logo_path: "str | io.BytesIO"


def letterhead_of(desk) -> Letterhead | None:
    if desk is None:
        return None
    logo = ""
    if desk.logo:
        try:
            logo = desk.logo.path if desk.logo.storage.exists(desk.logo.name) else ""
        except NotImplementedError:
            with desk.logo.storage.open(desk.logo.name, "rb") as fh:  # a logo is small (checked on upload)
                logo = io.BytesIO(fh.read())
        except ValueError:
            logo = ""
    return Letterhead(desk.name, desk.address, getattr(desk, "phone", ""), desk.email, logo)


# --- validation --------------------------------------------------------------------------------


def validate_nip(nip: str) -> str:
    nip = (nip or "").replace(" ", "").strip()
    if not (len(nip) == NIP_LENGTH and nip.isdigit()):
        raise ValidationError({"nip": _("NIP harus 18 angka (tanpa spasi atau tanda baca).")})
    return nip


def validate_logo(upload: UploadedFile) -> str:
    """The logo's file extension after checking its content; ValidationError naming `logo`."""
    from PIL import Image, UnidentifiedImageError

    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("Logo terlalu besar: paling besar %(max)s KB.") % {
            "max": LOGO_MAX_BYTES // 1024}})
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            fmt, (width, height) = image.format, image.size
            image.verify()  # a truncated or forged file fails here, not later in the PDF
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"logo": _("Logo harus berkas gambar PNG atau JPEG.")}) from None
    finally:
        upload.seek(0)
    if fmt not in LOGO_FORMATS:
        raise ValidationError({"logo": _("Logo harus berkas gambar PNG atau JPEG.")})
    if max(width, height) > LOGO_MAX_PIXELS or min(width, height) < LOGO_MIN_PIXELS:
        raise ValidationError({"logo": _(
            "Ukuran logo %(w)s×%(h)s piksel; yang diterima %(min)s sampai %(max)s piksel per sisi."
        ) % {"w": width, "h": height, "min": LOGO_MIN_PIXELS, "max": LOGO_MAX_PIXELS}})
    return LOGO_FORMATS[fmt]


def _region_of(desk) -> str:
    return desk.region_id


# --- writes ------------------------------------------------------------------------------------


def _require(actor, desk):
    if desk_for_user(actor, desk_kind(desk), desk.pk) is None:
        raise ValidationError(_("Kantor ini di luar wilayah tugas Anda."))


def update_letterhead(actor, desk, *, address: str, phone: str, email: str, logo: UploadedFile | None = None,
                      remove_logo: bool = False):
    """Change a desk's letterhead; the audit names the fields changed (not their values)."""
    _require(actor, desk)
    values = {"address": (address or "").strip(), "phone": (phone or "").strip(), "email": (email or "").strip()}
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            raise ValidationError({"email": _("Alamat email tidak valid.")}) from None
    if len(values["phone"]) > 40:
        raise ValidationError({"phone": _("Nomor telepon paling panjang 40 karakter.")})
    ext = validate_logo(logo) if logo else ""
    with transaction.atomic():
        desk = type(desk).objects.select_for_update().get(pk=desk.pk)
        changed = [f for f in LETTERHEAD_FIELDS if getattr(desk, f, "") != values[f]]
        for f in LETTERHEAD_FIELDS:
            setattr(desk, f, values[f])
        old_logo = desk.logo.name if desk.logo else ""
        if logo:
            desk.logo.save(f"{desk_kind(desk)}-{desk.pk}.{ext}", logo, save=False)
            changed.append("logo")
        elif remove_logo and old_logo:
            desk.logo = ""
            changed.append("logo")
        desk.save()
        if changed:
            record(actor, "desk.letterhead", desk, region_code=_region_of(desk), detail={"fields": changed})
    if old_logo and "logo" in changed and old_logo != (desk.logo.name if desk.logo else ""):
        desk.logo.storage.delete(old_logo)
    return desk


def add_signatory(actor, desk, *, name: str, title: str, nip: str, is_default: bool = False) -> Signatory:
    _require(actor, desk)
    name, title = (name or "").strip(), (title or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Nama penanda tangan wajib diisi.")
    if not title:
        errors["title"] = _("Jabatan wajib diisi.")
    try:
        nip = validate_nip(nip)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        type(desk).objects.select_for_update().get(pk=desk.pk)  # one default per desk, also under races
        first = not signatories_of(desk).exists()
        if is_default or first:
            signatories_of(desk).filter(is_default=True).update(is_default=False)
        signatory = Signatory.objects.create(**{_field(desk): desk}, name=name, title=title, nip=nip,
                                             is_default=is_default or first)
        record(actor, "desk.signatory_added", signatory, region_code=_region_of(desk),
               detail={"desk": desk_kind(desk), "desk_id": desk.pk, "default": signatory.is_default})
    return signatory


def _desk_of(signatory):
    return signatory.secretariat or signatory.puskesos


def make_default_signatory(actor, signatory: Signatory) -> Signatory:
    desk = _desk_of(signatory)
    _require(actor, desk)
    with transaction.atomic():
        type(desk).objects.select_for_update().get(pk=desk.pk)
        signatories_of(desk).filter(is_default=True).exclude(pk=signatory.pk).update(is_default=False)
        Signatory.objects.filter(pk=signatory.pk).update(is_default=True)
        record(actor, "desk.signatory_default", signatory, region_code=_region_of(desk),
               detail={"desk": desk_kind(desk), "desk_id": desk.pk})
    signatory.is_default = True
    return signatory


def remove_signatory(actor, signatory: Signatory) -> None:
    desk = _desk_of(signatory)
    _require(actor, desk)
    with transaction.atomic():
        record(actor, "desk.signatory_removed", signatory, region_code=_region_of(desk),
               detail={"desk": desk_kind(desk), "desk_id": desk.pk, "was_default": signatory.is_default})
        signatory.delete()


def signatory_for_user(user, pk) -> Signatory | None:
    s = Signatory.objects.filter(pk=pk).select_related("secretariat", "puskesos").first()
    if s is None or desk_for_user(user, desk_kind(_desk_of(s)), _desk_of(s).pk) is None:
        return None
    return s


# --- the desks themselves: a secretariat per kab/kota, Puskesos posts per desa (issue 13) -------
# The same rule as the letterheads: the Admin of a region containing the desk, the Manajer of
# its kab/kota. A post is deactivated, never deleted: cases and letters keep naming it.

NAME_MAX = 200


def may_create_desk_in(user, region_code: str) -> bool:
    """Whether the user may open a desk in this region (a kab/kota or a desa inside its reach)."""
    q = _region_filter(user, "")
    if q is None or not region_code:
        return False
    return user.region_id == NATION_CODE or region_code == user.region_id or region_code.startswith(
        f"{user.region_id}.")


def _desk_details(name: str, address: str, phone: str, email: str) -> dict:
    values = {"name": " ".join((name or "").split()), "address": (address or "").strip(),
              "phone": (phone or "").strip(), "email": (email or "").strip()}
    errors = {}
    if not values["name"]:
        errors["name"] = _("Isi nama kantor.")
    elif len(values["name"]) > NAME_MAX:
        errors["name"] = _("Nama kantor paling panjang %(n)d karakter.") % {"n": NAME_MAX}
    if len(values["phone"]) > 40:
        errors["phone"] = _("Nomor telepon paling panjang 40 karakter.")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = _("Alamat email tidak valid.")
    if errors:
        raise ValidationError(errors)
    return values


def create_secretariat(actor, kab_code: str, *, name: str, address: str = "", phone: str = "",
                       email: str = "") -> Secretariat:
    """The SLRT secretariat of a kab/kota that has none yet (one per kab/kota)."""
    from .models import Level, Region

    region = Region.objects.filter(code=kab_code, level=Level.KABUPATEN).first()
    if region is None:
        raise ValidationError({"region": _("Pilih kabupaten/kota.")})
    if not may_create_desk_in(actor, region.code):
        raise ValidationError({"region": _("Kabupaten/kota ini di luar wilayah tugas Anda.")})
    values = _desk_details(name, address, phone, email)
    with transaction.atomic():
        if Secretariat.objects.select_for_update().filter(region=region).exists():
            raise ValidationError({"region": _("Kabupaten/kota ini sudah punya sekretariat SLRT; ubah yang ada.")})
        desk = Secretariat.objects.create(region=region, **values)
        record(actor, "desk.create", desk, region_code=region.code, detail={"desk": SECRETARIAT})
    return desk


def create_puskesos(actor, desa_code: str, *, name: str, address: str = "", phone: str = "",
                    email: str = "") -> Puskesos:
    """A Puskesos post at a desa, under the secretariat of the desa's kab/kota; one open post per desa."""
    from .models import Level, Region, ancestor_codes

    region = Region.objects.filter(code=desa_code, level=Level.DESA).first()
    if region is None:
        raise ValidationError({"region": _("Pilih desa/kelurahan.")})
    if not may_create_desk_in(actor, region.code):
        raise ValidationError({"region": _("Desa ini di luar wilayah tugas Anda.")})
    values = _desk_details(name, address, phone, email)
    kab_code = ancestor_codes(region.code)[1]
    with transaction.atomic():
        secretariat = Secretariat.objects.select_for_update().filter(region_id=kab_code).first()
        if secretariat is None:
            raise ValidationError({"region": _(
                "Kabupaten/kota desa ini belum punya sekretariat SLRT; buat sekretariatnya dulu.")})
        if Puskesos.objects.filter(region=region, active=True).exists():
            raise ValidationError({"region": _("Desa ini sudah punya Puskesos yang aktif.")})
        desk = Puskesos.objects.create(region=region, secretariat=secretariat, **values)
        record(actor, "desk.create", desk, region_code=region.code, detail={"desk": PUSKESOS})
    return desk


def update_desk_name(actor, desk, *, name: str):
    """Rename a desk (its letterhead prints the name); address, phone and email: update_letterhead."""
    _require(actor, desk)
    values = _desk_details(name, desk.address, desk.phone, desk.email)
    with transaction.atomic():
        desk = type(desk).objects.select_for_update().get(pk=desk.pk)
        if desk.name == values["name"]:
            return desk
        desk.name = values["name"]
        desk.save(update_fields=["name"])
        record(actor, "desk.update", desk, region_code=_region_of(desk), detail={"fields": ["name"]})
    return desk


def set_puskesos_active(actor, post: Puskesos, active: bool) -> Puskesos:
    """Close a Puskesos post (no longer the desk of new cases at its desa) or open it again."""
    _require(actor, post)
    with transaction.atomic():
        post = Puskesos.objects.select_for_update().get(pk=post.pk)
        if post.active == active:
            return post
        if active and Puskesos.objects.filter(region_id=post.region_id, active=True).exclude(pk=post.pk).exists():
            raise ValidationError(_("Desa ini sudah punya Puskesos lain yang aktif."))
        post.active = active
        post.save(update_fields=["active"])
        record(actor, "desk.reactivate" if active else "desk.deactivate", post, region_code=post.region_id,
               detail={"desk": PUSKESOS})
    return post
