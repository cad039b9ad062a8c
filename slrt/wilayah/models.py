"""Kemendagri regions and the SLRT service posts that sit in them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    NATION = 0, _("Nasional")
    PROVINSI = 1, _("Provinsi")
    KABUPATEN = 2, _("Kabupaten/Kota")
    KECAMATAN = 3, _("Kecamatan")
    DESA = 4, _("Desa/Kelurahan")


# The dotted Kemendagri code has one segment per level; a code's level is its segment count.
NATION_CODE = "00"


def level_of(code: str) -> int:
    return Level.NATION if code == NATION_CODE else code.count(".") + 1


def normalize_code(raw: str) -> str:
    """'3201012001', '32.01.01.2001' and ' 32.01 ' all become the dotted form."""
    s = str(raw).strip()
    if s == NATION_CODE:
        return s
    if "." in s:
        return s
    d = "".join(ch for ch in s if ch.isdigit())
    return ".".join(p for p in (d[0:2], d[2:4], d[4:6], d[6:10]) if p)


def ancestor_codes(code: str) -> list[str]:
    """'32.01.01.2001' -> ['32', '32.01', '32.01.01', '32.01.01.2001']."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


class Region(models.Model):
    code = models.CharField(_("kode"), max_length=13, primary_key=True)
    name = models.CharField(_("nama"), max_length=120)
    level = models.PositiveSmallIntegerField(_("tingkat"), choices=Level.choices, db_index=True)
    kind = models.CharField(_("jenis"), max_length=12)  # provinsi, kabupaten, kota, kecamatan, desa, ...
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", db_index=True
    )
    postal_code = models.CharField(_("kode pos"), max_length=5, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def digits(self) -> str:
        return self.code.replace(".", "")

    def descendants(self):
        """Everything below this region: one indexed range scan on the code prefix."""
        return Region.objects.filter(code__startswith=f"{self.code}.")


class Secretariat(models.Model):
    """The SLRT secretariat of a kabupaten/kota (at the Dinas Sosial)."""

    region = models.OneToOneField(
        Region, on_delete=models.PROTECT, limit_choices_to={"level": Level.KABUPATEN}, related_name="secretariat"
    )
    name = models.CharField(_("nama"), max_length=200)
    address = models.TextField(_("alamat"), blank=True)
    phone = models.CharField(_("telepon"), max_length=40, blank=True)
    # Letterhead (kop surat) of the letters this desk issues; set on the desk settings page.
    email = models.EmailField(_("email"), blank=True)
    logo = models.FileField(_("logo"), upload_to="kop/", blank=True)

    class Meta:
        verbose_name = _("sekretariat SLRT")

    def __str__(self):
        return self.name


class Puskesos(models.Model):
    """A Pusat Kesejahteraan Sosial post at a desa/kelurahan office."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, limit_choices_to={"level": Level.DESA}, related_name="puskesos"
    )
    secretariat = models.ForeignKey(Secretariat, on_delete=models.PROTECT, related_name="puskesos")
    name = models.CharField(_("nama"), max_length=200)
    address = models.TextField(_("alamat"), blank=True)
    phone = models.CharField(_("telepon"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    logo = models.FileField(_("logo"), upload_to="kop/", blank=True)
    # A post that closed: kept (cases and letters name it), no longer a desk for new cases.
    active = models.BooleanField(_("aktif"), default=True)

    class Meta:
        verbose_name = _("Puskesos")
        verbose_name_plural = _("Puskesos")

    def __str__(self):
        return self.name


class Signatory(models.Model):
    """Who signs the letters of one desk (a secretariat or a Puskesos post): name, title, NIP.
    The desk's default signatory signs its letters; without one, the approving officer does."""

    secretariat = models.ForeignKey(Secretariat, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="signatories")
    puskesos = models.ForeignKey(Puskesos, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="signatories")
    name = models.CharField(_("nama"), max_length=120)
    title = models.CharField(_("jabatan"), max_length=160)
    nip = models.CharField(_("NIP"), max_length=18)
    is_default = models.BooleanField(_("penanda tangan utama"), default=False)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(secretariat__isnull=False, puskesos__isnull=True)
                | models.Q(secretariat__isnull=True, puskesos__isnull=False),
                name="wilayah_signatory_one_desk",
            ),
            models.UniqueConstraint(fields=["secretariat"], condition=models.Q(is_default=True),
                                    name="wilayah_signatory_one_default_secretariat"),
            models.UniqueConstraint(fields=["puskesos"], condition=models.Q(is_default=True),
                                    name="wilayah_signatory_one_default_puskesos"),
        ]

    def __str__(self):
        return f"{self.name} ({self.title})"
