"""Forms of the registry pages: they check outside input and say in Indonesian what is wrong."""

import datetime as dt
import re
from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from slrt.accounts.scoping import in_scope
from slrt.wilayah.forms import RegionInput
from slrt.wilayah.models import Level, normalize_code
from slrt.wilayah.names import is_code, resolve_region
from slrt.wilayah.selectors import get_region

from .imports.limits import limits, megabytes
from .models import Source

_DIGITS16 = re.compile(r"^\d{16}$")
_NUMBER_NOISE = re.compile(r"[\s.\-]")


class SearchForm(forms.Form):
    """One box for a NIK, a KK number or a name, plus region and birth-year filters."""

    q = forms.CharField(
        label=_("NIK, nomor KK, atau nama"), required=False, max_length=150,
        widget=forms.TextInput(attrs={
            "type": "search", "autocomplete": "off", "autofocus": True, "spellcheck": "false",
            "placeholder": _("mis. 3201014506900001 atau Siti Aminah"),
        }),
    )
    # A kecamatan or desa typed by name (suggestions from /wilayah/saran/) or a code; the older
    # cascade of selects (one `region` value per level) is still understood.
    region = forms.CharField(
        label=_("Kecamatan atau desa/kelurahan"), required=False, max_length=200,
        widget=RegionInput(levels=(Level.KABUPATEN, Level.KECAMATAN, Level.DESA)),
    )
    birth_year = forms.IntegerField(
        label=_("Tahun lahir"), required=False, min_value=1900,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "placeholder": _("mis. 1985")}),
        error_messages={
            "invalid": _("Tahun lahir harus berupa angka, mis. 1985."),
            "min_value": _("Tahun lahir tidak boleh sebelum %(limit_value)s."),
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # The region cascade submits one `region` value per level; the deepest chosen one counts.
        data = self.data
        codes = data.getlist("region") if hasattr(data, "getlist") else [data.get("region", "")]
        self._region_codes = [c for c in (c.strip() for c in codes) if c]

    def clean_region(self):
        if not self._region_codes:
            return None
        if len(self._region_codes) == 1 and not is_code(self._region_codes[0]):
            return resolve_region(self.user, self._region_codes[0], self.fields["region"].widget.levels)
        # While a higher level was just changed, the lower selects still hold their old values:
        # follow the chain downwards only while each code lies inside the one above it.
        codes = sorted((normalize_code(c) for c in self._region_codes), key=len)
        code = codes[0]
        for deeper in codes[1:]:
            if deeper.startswith(code + "."):
                code = deeper
        region = get_region(code)
        if region is None:
            raise forms.ValidationError(_("Kode wilayah %(code)s tidak ada di data Kemendagri."), params={"code": code})
        if not in_scope(self.user, region.code):
            raise forms.ValidationError(
                _("Wilayah %(code)s berada di luar wilayah tugas Anda."), params={"code": region.code}
            )
        return region

    def clean_birth_year(self):
        year = self.cleaned_data.get("birth_year")
        if year is not None and year > dt.date.today().year:
            raise forms.ValidationError(_("Tahun lahir tidak boleh di masa depan."))
        return year

    def clean(self):
        cleaned = super().clean()
        raw = (cleaned.get("q") or "").strip()
        compact = _NUMBER_NOISE.sub("", raw)
        # Sixteen digits are a NIK or a KK number (both have 16); anything else is a name.
        cleaned["number"] = compact if _DIGITS16.match(compact) else ""
        cleaned["name"] = "" if cleaned["number"] else raw
        if compact.isdigit() and not cleaned["number"]:
            self.add_error("q", _("NIK dan nomor KK terdiri dari 16 digit; yang diketik %(n)s digit.") % {
                "n": len(compact)
            })
        return cleaned

    @property
    def has_query(self) -> bool:
        c = getattr(self, "cleaned_data", {})
        return bool(c.get("number") or c.get("name") or c.get("region") or c.get("birth_year"))


ALLOWED_IMPORT_EXTENSIONS = (".csv", ".xlsx")


def max_import_bytes() -> int:
    return limits().upload_bytes


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Berkas registri (CSV atau XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
        help_text=_("Satu baris per orang. Kolom wajib: nik, nomor_kk, nama, kode_wilayah."),
        error_messages={
            "required": _("Pilih berkas CSV atau XLSX yang akan diimpor."),
            "empty": _("Berkas yang dikirim kosong."),
        },
    )
    source = forms.ChoiceField(label=_("Sumber data"), choices=Source.choices, initial=Source.DTSEN)
    period = forms.RegexField(
        label=_("Periode rilis (opsional)"), required=False, regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"placeholder": "2026-07", "inputmode": "numeric"}),
        help_text=_("Format TTTT-BB, mis. 2026-07. Kosongkan bila berkas memuat kolom periode."),
        error_messages={"invalid": _("Periode harus berformat TTTT-BB dengan bulan 01–12, mis. 2026-07.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in ALLOWED_IMPORT_EXTENSIONS:
            raise forms.ValidationError(
                _("Berkas %(name)s bukan CSV atau XLSX. Hanya berkas .csv dan .xlsx yang dapat diimpor."),
                params={"name": upload.name},
            )
        limit = max_import_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                _("Berkas terlalu besar (%(size)s MB); batasnya %(limit)s MB."),
                params={"size": megabytes(upload.size), "limit": megabytes(limit)},
            )
        if suffix == ".xlsx":
            # An XLSX is a ZIP archive: a renamed file of another type is caught here, not mid-import.
            head = upload.read(4)
            upload.seek(0)
            if head != b"PK\x03\x04":
                raise forms.ValidationError(
                    _("Berkas %(name)s berakhiran .xlsx tetapi isinya bukan lembar kerja Excel."),
                    params={"name": upload.name},
                )
        return upload


class MergeForm(forms.Form):
    """One radio group per differing field: which record's value survives the merge."""

    CHOICES = (("a", "A"), ("b", "B"))

    def __init__(self, *args, fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for name in fields:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                choices=self.CHOICES, initial="a", widget=forms.RadioSelect,
                error_messages={"required": _("Pilih nilai yang dipakai untuk setiap kolom yang berbeda.")},
            )

    def picks(self) -> dict[str, str]:
        return {name.removeprefix("pick_"): value for name, value in self.cleaned_data.items()}
