"""Aid on target (issue 13, point 1): per programme and desa, the inclusion and exclusion errors of
the latest targeting run, the yearly budget needed to serve the excluded (errors × benefit) and the
yearly spending on the included-but-not-eligible. The counting is `programs.selectors.aid`'s (the
caller's scope, the run pages' rows); here the section is shaped (`base.py`).

A run covers one kab/kota, so a figure or row opens its list — the run page filtered to the
programme, kind and region — where one run holds all it counts (a kab/kota and below); a province's
or the nation's totals span several runs and link through their `by_region` rows instead.
The targeting run is a snapshot, not a flow: the period filter does not apply to it.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from slrt.accounts.roles import can
from slrt.programs.catalogue import REGISTRY_GROUPS
from slrt.programs.models import Program, TargetingError
from slrt.programs.selectors.aid import error_counts, group_floors
from slrt.programs.selectors.benefits import describe, rupiah
from slrt.wilayah.models import NATION_CODE, Level, Region, ancestor_codes, level_of
from slrt.wilayah.names import region_labels

from .base import Scope, column, figure, section, table

EXCL, INCL = TargetingError.Kind.EXCLUSION, TargetingError.Kind.INCLUSION


def errors_url(run, *, program: str = "", kind: str = "", region: str = "") -> str:
    """The run page listing exactly the error rows of `run` with this programme, kind and region."""
    params = {k: v for k, v in (("program", program), ("kind", kind)) if v}
    if region and level_of(region) > Level.KABUPATEN:
        params["desa"] = region
    base = reverse("programs:run", args=[run.pk])
    return f"{base}?{urlencode(params)}" if params else base


def _sum(counts, **match) -> tuple[int, int]:
    """(households, rupiah per year) of the counts matching `match` (attribute=value)."""
    rows = [c for c in counts if all(getattr(c, k) == v for k, v in match.items())]
    return sum(c.n for c in rows), sum(c.amount or 0 for c in rows)


def aid_on_target(scope: Scope) -> dict:
    user, code = scope.user, scope.code
    title = _("Bantuan tepat sasaran")
    if not can(user, "run_targeting"):
        return section("aid", title)  # the run pages are closed to this role: nothing to open
    runs, counts, benefits = error_counts(user, code)
    single = runs[0] if len(runs) == 1 else None

    def url(**kw) -> str:
        return errors_url(single, region=code, **kw) if single else ""

    n_excl, budget = _sum(counts, kind=EXCL)
    n_incl, spending = _sum(counts, kind=INCL)
    per_year = _("Rp per tahun")
    figures = [
        figure("exclusion", _("Keluarga layak tetapi tidak menerima (kesalahan eksklusi)"), n_excl,
               url=url(kind=EXCL)),
        figure("inclusion", _("Keluarga menerima tetapi tidak layak (kesalahan inklusi)"), n_incl,
               url=url(kind=INCL)),
        figure("budget_excluded", _("Anggaran untuk melayani yang tereksklusi"), budget, unit=per_year,
               url=url(kind=EXCL)),
        figure("spending_included", _("Belanja untuk penerima yang tidak layak"), spending, unit=per_year,
               url=url(kind=INCL)),
    ]
    programs = [p for p in Program.objects.filter(active=True).exclude(registry_code="").order_by("code")]
    floors = group_floors(programs, benefits)
    tables = [
        _program_table("exclusion_by_program", _("Kesalahan eksklusi per program (layak, tidak menerima)"),
                       _("Anggaran per tahun"), programs, counts, EXCL, url),
        _program_table("inclusion_by_program", _("Kesalahan inklusi per program (menerima, tidak layak)"),
                       _("Belanja per tahun"), programs, counts, INCL, url, floors=floors),
    ]
    regions = _region_rows(scope, runs, counts)
    if regions is not None:
        tables.append(table("by_region", _("Menurut wilayah"), _money_columns(_("Wilayah")), regions, chart="bar"))
    if single and level_of(code) == Level.KABUPATEN:
        tables.append(table("by_desa", _("Menurut desa/kelurahan (desa dengan kesalahan)"),
                            _money_columns(_("Desa/kelurahan")), _desa_rows(single, counts), chart=None))
    if level_of(code) >= Level.KECAMATAN and single:
        tables.append(table("by_desa_program", _("Per desa dan program"),
                            [column("label", _("Desa, program, jenis")), column("n", _("Keluarga")),
                             column("amount", _("Rupiah per tahun"))], _desa_program_rows(single, counts)))
    tables.append(_runs_table(runs))
    tables.append(_assumptions_table(programs, benefits, floors))
    return section("aid", title, figures=figures, tables=tables)


def _money_columns(label_title) -> list[dict]:
    return [column("label", label_title), column("n", _("Kesalahan (keluarga)")),
            column("exclusion", _("Eksklusi")), column("inclusion", _("Inklusi")),
            column("budget_excluded", _("Anggaran eksklusi per tahun (Rp)")),
            column("spending_included", _("Belanja inklusi per tahun (Rp)"))]


def _money_row(key, label, counts, url, **match) -> dict:
    n_e, budget = _sum(counts, kind=EXCL, **match)
    n_i, spending = _sum(counts, kind=INCL, **match)
    return {"key": key, "label": label, "n": n_e + n_i, "exclusion": n_e, "inclusion": n_i,
            "budget_excluded": budget, "spending_included": spending, "url": url}


def _program_table(key, title, money_title, programs, counts, kind, url, floors=None) -> dict:
    rows = []
    for p in programs:
        label = p.name
        if kind == INCL and floors and p.registry_code.upper() in floors:
            # Components of one registry programme (PKH): inclusion is one row per household, on the
            # group's first component (services.targeting), so one row stands for the whole group.
            if p != _group_lead(programs, p):
                continue
            label = REGISTRY_GROUPS.get(p.registry_code.upper(), p.registry_code)
        n, amount = _sum(counts, program=p, kind=kind)
        rows.append({"key": p.code, "label": label, "n": n, "amount": amount, "url": url(program=p.code, kind=kind)})
    return table(key, title, [column("label", _("Program")), column("n", _("Keluarga")),
                              column("amount", money_title + " (Rp)")], rows, chart="bar")


def _group_lead(programs, p):
    return next(x for x in programs if x.registry_code.upper() == p.registry_code.upper())


def _child(code: str, desa_code: str) -> str:
    level = 0 if code == NATION_CODE else level_of(code)
    parts = ancestor_codes(desa_code)
    return parts[level] if level < len(parts) else ""


def _region_rows(scope: Scope, runs, counts) -> list[dict] | None:
    """Every child region of the scope (down to the desa) with its errors and their money."""
    code = scope.code
    if code != NATION_CODE and level_of(code) >= Level.DESA:
        return None
    children = list(Region.objects.filter(parent_id=code).order_by("code").values_list("code", flat=True))
    names = region_labels(children)
    run_of_kab = {r.region_id: r for r in runs}
    by_child: dict[str, list] = {}
    for c in counts:
        by_child.setdefault(_child(code, c.desa_code), []).append(c)
    rows = []
    for child in children:
        kab = child[:5] if len(child) >= 5 else ""
        run = run_of_kab.get(kab)
        row = _money_row(child, names.get(child, child), by_child.get(child, []),
                         errors_url(run, region=child) if run else "")
        row["code"] = child
        rows.append(row)
    return rows


def _desa_rows(run, counts) -> list[dict]:
    desa = sorted({c.desa_code for c in counts})
    names = region_labels(desa)
    return [_money_row(d, names.get(d, d), [c for c in counts if c.desa_code == d], errors_url(run, region=d))
            for d in desa]


def _desa_program_rows(run, counts) -> list[dict]:
    names = region_labels({c.desa_code for c in counts})
    kinds = dict(TargetingError.Kind.choices)
    return [{"key": f"{c.desa_code}:{c.program.code}:{c.kind}",
             "label": f"{names.get(c.desa_code, c.desa_code)} · {c.program.name} · {kinds[c.kind]}",
             "n": c.n, "amount": c.amount or 0,
             "url": errors_url(run, program=c.program.code, kind=c.kind, region=c.desa_code)}
            for c in counts]


def _runs_table(runs) -> dict:
    names = region_labels([r.region_id for r in runs])
    rows = [{"key": str(r.pk), "label": names.get(r.region_id, r.region_id), "households": r.households,
             "finished": date_format(r.finished_at or r.started_at, "j F Y")} for r in runs]
    return table("runs", _("Penargetan terakhir yang dipakai"),
                 [column("label", _("Kabupaten/kota")), column("households", _("Keluarga dinilai")),
                  column("finished", _("Selesai"))], rows)


def _assumptions_table(programs, benefits, floors) -> dict:
    rows = []
    for p in programs:
        b = benefits.get(p.pk)
        rows.append({"key": p.code, "label": p.name, "benefit": describe(b),
                     "per_year": b.per_year if b else 0})
    notes = [
        _("Satu baris kesalahan adalah satu keluarga; nilainya satu kali besaran per tahun (manfaat sekali: satu "
          "kali). Untuk program per orang dan keluarga dengan beberapa anggota pada satu komponen PKH, kebutuhan "
          "sebenarnya lebih besar: angka ini batas bawah."),
        _("Registri mencatat penerimaan PKH sebagai satu tanda: keluarga yang menerima PKH tanpa layak komponen "
          "mana pun dihitung sekali (pada komponen pertama) dengan besaran komponen terkecil (%(floor)s per tahun).")
        % {"floor": rupiah(floors.get("PKH") or 0)},
        _("Program tanpa besaran yang ditetapkan bernilai Rp0; besaran diubah di halaman program."),
    ]
    rows += [{"key": f"note{i}", "label": _("Catatan"), "benefit": text, "per_year": ""}
             for i, text in enumerate(notes, 1)]
    return table("assumptions", _("Besaran manfaat yang dipakai dan perkiraannya"),
                 [column("label", _("Program")), column("benefit", _("Besaran")),
                  column("per_year", _("Per tahun (Rp)"))], rows)
