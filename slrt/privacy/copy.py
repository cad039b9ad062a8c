"""The copy of a resident's own data (UU PDP art. 7 and 32): one PDF through `core.pdf` with the
registry record and its history, cases with needs and timeline, referrals, proposals, earlier
requests, and the access log — who (name and role) saw or changed which record, and when.

It is the resident's own data, so the NIK and names are printed in full; it is built only for a
request whose identity check passed (`services.issue_copy` and `reissue_copy` see to that).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from slrt.accounts.roles import Role
from slrt.cases.timeline import describe
from slrt.core.pdf import Document, Section, render
from slrt.wilayah.desks import letterhead_of
from slrt.wilayah.models import Region, Secretariat
from slrt.wilayah.names import region_labels

from .selectors import subject_data

# What an audit action says in the access log; others by their verb (see `action_label`).
ACTION_LABELS = {
    "person.view": gettext_lazy("membuka data warga"),
    "person.export": gettext_lazy("mencetak salinan data pribadi"),
    "household.view": gettext_lazy("membuka profil keluarga"),
    "person.search": gettext_lazy("mencari warga; data ini tampil di hasilnya"),
    "household.assess": gettext_lazy("membuka asesmen program keluarga"),
    "case.view": gettext_lazy("membuka kasus"),
    "case.create": gettext_lazy("mencatat kasus"),
    "case.update": gettext_lazy("mengubah data kasus"),
    "case.close": gettext_lazy("menutup kasus"),
    "case.reopen": gettext_lazy("membuka kembali kasus"),
    "case.receipt": gettext_lazy("mencetak tanda terima"),
    "case.receipt_reprint": gettext_lazy("mencetak ulang tanda terima"),
    "need.add": gettext_lazy("menambah kebutuhan"),
    "need.edit": gettext_lazy("mengubah kebutuhan"),
    "need.status": gettext_lazy("mengubah status kebutuhan"),
    "referral.view": gettext_lazy("membuka rujukan"),
    "referral.draft": gettext_lazy("menyusun rujukan"),
    "proposal.view": gettext_lazy("membuka usulan pemutakhiran"),
    "proposal.draft": gettext_lazy("menyusun usulan pemutakhiran"),
    "data_request.view": gettext_lazy("membuka permintaan data pribadi"),
    "data_request.receive": gettext_lazy("mencatat permintaan data pribadi"),
}
READ_VERBS = {"view", "search", "download", "assess", "receipt", "receipt_reprint", "export", "copy"}

ROLE_LABELS = dict(Role.choices)


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    verb = action.rsplit(".", 1)[-1]
    return _("melihat (%(code)s)") % {"code": action} if verb in READ_VERBS else _(
        "mengubah (%(code)s)") % {"code": action}


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d-%m-%Y %H:%M") if value else "—"


def _who(user) -> str:
    if user is None:
        return _("sistem")
    name = user.get_full_name() or user.username
    return f"{name} ({ROLE_LABELS.get(user.role, user.role)})"


def _object_label(event, names: dict) -> str:
    if not event.object_type:  # a list or a search that showed the person
        return _("daftar/hasil pencarian")
    return names.get((event.object_type, event.object_id), event.object_type)


def copy_document(actor, r) -> Document:
    data = subject_data(actor, r)
    person, household = data["person"], data["household"]
    kab = Region.objects.filter(code=r.kab_code).first()
    office = _("Dinas Sosial %(name)s") % {"name": kab.name if kab else r.kab_code}
    head = letterhead_of(Secretariat.objects.filter(region_id=r.kab_code).first())
    lines = [head.name, head.address, head.phone] if head else []
    labels = region_labels([person.desa_code])
    facts = [
        (_("Nomor permintaan"), r.reference),
        (_("Diterima"), _when(r.received_at)),
        (_("Identitas diperiksa"),
         f"{r.get_identity_method_display()} · …{r.identity_digits} · {_when(r.verified_at)}"),
        (_("Dicetak"), _when(timezone.now())),
        (_("Nama"), person.nama),
        (_("NIK"), person.nik),
        (_("Tempat, tanggal lahir"),
         f"{person.tempat_lahir or '—'}, {person.tanggal_lahir.strftime('%d-%m-%Y') if person.tanggal_lahir else '—'}"),
        (_("Jenis kelamin"), person.get_jenis_kelamin_display() or "—"),
        (_("Hubungan keluarga"), person.hubungan_keluarga or "—"),
        (_("Nama ibu kandung"), person.nama_ibu_kandung or "—"),
        (_("Status perkawinan"), person.status_kawin or "—"),
        (_("Pendidikan"), person.pendidikan or "—"),
        (_("Pekerjaan"), person.pekerjaan or "—"),
        (_("Disabilitas"), person.disabilitas or "—"),
        (_("Penyakit kronis"), person.penyakit_kronis or "—"),
        (_("Jenis PPKS"), person.jenis_ppks or "—"),
        (_("ID DTKS"), person.id_dtks or "—"),
        (_("Nomor KK"), household.nomor_kk),
        (_("Alamat"), ", ".join(x for x in (household.alamat, f"RT {household.rt}" if household.rt else "",
                                            f"RW {household.rw}" if household.rw else "", household.dusun,
                                            labels.get(person.desa_code, "")) if x)),
        (_("Desil"), str(household.desil) if household.desil else "—"),
        (_("Rilis registri terakhir"), str(person.last_release) if person.last_release_id else "—"),
    ]
    sections = [
        Section(_("Anggota keluarga (KK)"),
                [[_("Nama"), _("Hubungan keluarga")], *[[m.nama, m.hubungan_keluarga or "—"] for m in data["members"]]],
                [0.6, 0.4]),
        Section(_("Program bantuan menurut registri"),
                [[_("Program"), _("Sejak"), _("Sampai"), _("Aktif")],
                 *[[p.program_code, p.since_period, p.until_period or "—", _("ya") if p.active else _("tidak")]
                   for p in data["programs"]]], [0.4, 0.2, 0.2, 0.2], _("Tidak ada.")),
        Section(_("Rilis registri yang memuat keluarga ini"),
                [[_("Rilis")], *[[str(a.release)] for a in data["releases"]]], [1.0], _("Tidak ada.")),
        Section(_("Riwayat perubahan data registri"),
                [[_("Waktu"), _("Perubahan"), _("Rilis"), _("Isi perubahan")],
                 *[[_when(c.at), c.get_kind_display(), str(c.release) if c.release_id else "—", _changes(c.changes)]
                   for c in data["history"]]], [0.18, 0.14, 0.16, 0.52], _("Tidak ada perubahan tercatat.")),
    ]
    sections += _case_sections(data)
    sections.append(Section(
        _("Rujukan ke lembaga"),
        [[_("Nomor"), _("Kasus"), _("Lembaga"), _("Status dan riwayat")],
         *[[ref.number, ref.case.ticket, ref.agency.name,
            "; ".join([str(ref.get_status_display()),
                       *[f"{_when(t.at)} {t.get_from_status_display()} → {t.get_to_status_display()}"
                         for t in ref.transitions.all()]])]
           for ref in data["referrals"]]], [0.2, 0.22, 0.25, 0.33], _("Tidak ada rujukan.")))
    sections.append(Section(
        _("Usulan pemutakhiran ke pengelola registri"),
        [[_("Nomor"), _("Jenis"), _("Status"), _("Data yang diusulkan")],
         *[[f"#{p.pk}", p.get_kind_display(), p.get_status_display(), _proposed(p.data)] for p in data["proposals"]]],
        [0.1, 0.22, 0.22, 0.46], _("Tidak ada usulan.")))
    sections.append(Section(
        _("Permintaan data pribadi"),
        [[_("Nomor"), _("Jenis"), _("Diterima"), _("Status")],
         *[[q.reference, q.get_kind_display(), _when(q.received_at), q.get_status_display()]
           for q in data["requests"]]], [0.3, 0.25, 0.2, 0.25]))
    sections.append(_access_section(data))
    return Document(
        office=office, office_lines=[x for x in lines if x], logo_path=head.logo_path if head else "",
        title=_("Salinan Data Pribadi"), number=r.reference, facts=facts,
        paragraphs=[_("Dokumen ini memuat seluruh data tentang Anda yang tersimpan di Sistem Layanan dan Rujukan "
                      "Terpadu (SLRT) wilayah ini, dan siapa yang melihat atau mengubahnya (UU 27/2022 tentang "
                      "Pelindungan Data Pribadi). Bila ada data yang keliru, Anda dapat meminta perbaikan di loket.")],
        sections=sections,
    )


def _changes(changes: dict) -> str:
    parts = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{field}: {value[0] if value[0] not in (None, '') else '—'} → {value[1]}")
        else:
            parts.append(f"{field}: {value}")
    return "; ".join(parts) or "—"


def _proposed(data: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in (data or {}).items() if k != "anggota") or "—"


def _case_sections(data) -> list[Section]:
    if not data["cases"]:
        return [Section(_("Kasus layanan"), [[_("Kasus")]], empty=_("Tidak ada kasus."))]
    out = []
    for case in data["cases"]:
        rows = [[_("Waktu"), _("Catatan")],
                [_when(case.created_at), "; ".join(x for x in (
                    case.get_complaint_type_display(), case.get_channel_display(), case.summary) if x)],
                *[[_("Kebutuhan"), f"{n.get_sector_display()}: {n.description} ({n.get_status_display()})"]
                  for n in case.needs.all()],
                *[[_when(e.at), describe(e)] for e in case.events.all()]]
        out.append(Section(_("Kasus %(ticket)s (%(status)s)") % {"ticket": case.ticket,
                                                                  "status": case.get_status_display()},
                           rows, [0.2, 0.8]))
    return out


def _access_section(data) -> Section:
    names = {("registry.person", str(data["person"].pk)): _("data warga"),
             ("registry.household", str(data["household"].pk)): _("profil keluarga")}
    names.update({("cases.case", str(c.pk)): _("kasus %(t)s") % {"t": c.ticket} for c in data["cases"]})
    names.update({("referrals.referral", str(x.pk)): _("rujukan %(n)s") % {"n": x.number} for x in data["referrals"]})
    names.update({("updates.proposal", str(p.pk)): _("usulan #%(n)s") % {"n": p.pk} for p in data["proposals"]})
    names.update({("privacy.datarequest", str(q.pk)): q.reference for q in data["requests"]})
    return Section(
        _("Siapa yang melihat atau mengubah data Anda"),
        [[_("Waktu"), _("Petugas (peran)"), _("Tindakan"), _("Data")],
         *[[_when(e.at), _who(e.actor), action_label(e.action), _object_label(e, names)] for e in data["access_log"]]],
        [0.17, 0.33, 0.28, 0.22], _("Belum ada catatan akses."))


def copy_pdf(actor, r) -> bytes:
    return render(copy_document(actor, r))
