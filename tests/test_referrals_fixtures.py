"""Builders shared by the decision and referral tests (a module of helpers, no tests of its own).

Cases and needs are created directly (ticket, status_code_hash, region) so these tests do not
depend on the intake service.
"""

import contextlib
import itertools
import re
import zlib
from base64 import a85decode
from types import SimpleNamespace

from django.test import Client

from slrt.accounts.services import create_user
from slrt.cases import decisions
from slrt.cases.models import Case, Need
from slrt.programs.models import Agency, AgencyService, Program
from slrt.referrals import services
from slrt.referrals.models import ReferralStatus
from tests.conftest import PASSWORD

DESA = "32.01.02.2001"
OTHER_DESA = "32.01.03.2001"
OTHER_KAB_DESA = "32.02.02.2001"
NAME = "Siti Rahmawati"
NIK = "3201024506850001"
PHONE = "081234567890"

_seq = itertools.count(1)


def agency(code, kind="rsud", region="32.01"):
    obj, _ = Agency.objects.get_or_create(
        code=code, defaults={"name": f"Lembaga {code}", "kind": kind, "region_id": region}
    )
    return obj


def service(agency_obj, code="layanan", sla_days=5, sector="kesehatan"):
    obj, _ = AgencyService.objects.get_or_create(
        agency=agency_obj, code=code, defaults={"name": f"Layanan {code}", "sector": sector, "sla_days": sla_days}
    )
    return obj


def program(code="PKH_UJI"):
    obj, _ = Program.objects.get_or_create(
        code=code,
        defaults={"name": f"Program {code}", "owner": "Kemensos", "target_unit": "family", "sector": "pangan"},
    )
    return obj


def make_case(desa=DESA, *, consent=True, name=NAME, nik=NIK, phone=PHONE, sector="kesehatan"):
    n = next(_seq)
    case = Case(
        ticket=f"SLRT-{desa[:5].replace('.', '')}-2026-{900000 + n:06d}",
        status_code_hash="x",
        applicant_name=name,
        applicant_nik=nik,
        applicant_phone=phone,
        complaint_type="pengaduan",
        channel="sekretariat",
        consent_given=True,
        consent_purpose="layanan",
        consent_share_agencies=consent,
    )
    case.set_region(desa)
    case.save()
    need = Need.objects.create(case=case, sector=sector, description="Biaya rawat inap anak di rumah sakit")
    return case, need


def _letters(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(97 + r) + out
        if n == 0:
            return out


def user(role, region, agency_code=""):
    """A test account; letters, not digits, in the name so it never resembles the test password."""
    return create_user(
        username=f"{role}.{_letters(next(_seq))}",
        role=role,
        region_code=region,
        password=PASSWORD,
        agency_code=agency_code,
    )


def build_desk(make_user=None):
    make_user = user
    rsud = agency("RSUD-3201", "rsud")
    dinkes = agency("DINKES-3201", "dinkes")
    return SimpleNamespace(
        rsud=rsud,
        dinkes=dinkes,
        rsud_service=service(rsud, "rawat-inap", 5),
        dinkes_service=service(dinkes, "jkn", 10),
        program=program(),
        bo=make_user("back_office", "32.01"),
        bo2=make_user("back_office", "32.01"),
        manajer=make_user("manajer", "32.01"),
        manajer2=make_user("manajer", "32.01"),
        koord=make_user("koordinator_puskesos", DESA),
        koord_other=make_user("koordinator_puskesos", OTHER_DESA),
        fo=make_user("front_office", "32.01"),
        fasilitator=make_user("fasilitator", DESA),
        admin=make_user("admin", "32.01"),
        dinsos=make_user("dinsos", "32"),
        mitra=make_user("mitra", "32.01", "RSUD-3201"),
        mitra_dinkes=make_user("mitra", "32.01", "DINKES-3201"),
        bo_other_kab=make_user("back_office", "32.02"),
        manajer_other_kab=make_user("manajer", "32.02"),
    )


def draft(desk, case=None, need=None, svc=None, actor=None):
    """A direct referral (no recommendation): back office may draft it, only a decider sends it."""
    if case is None:
        case, need = make_case()
    return services.draft_referral(actor or desk.bo, need, service=svc or desk.rsud_service, note="Mohon dibantu")


def recommended(desk, case=None, need=None, svc=None):
    """A referral drafted by approving an agency recommendation (BO drafts, the Manajer decides)."""
    if case is None:
        case, need = make_case()
    rec = decisions.draft_recommendation(desk.bo, need, "lembaga", service=svc or desk.rsud_service, note="Mohon")
    rec = decisions.decide_recommendation(desk.manajer, rec, approve=True, expected_version=rec.version)
    return rec.referrals.get()


def move(ref, action, actor, **fields):
    ref.refresh_from_db()
    return services.transition(actor, ref, action, ref.version, **fields)


DONE_FIELDS = {"service_given": "Rawat inap 3 hari", "outcome": "Sembuh", "service_date": "2026-01-05"}
FIELDS = {"reason": "Bukan wewenang kami", **DONE_FIELDS}

# How to reach each state from a draft (the Manajer sends, which direct referrals require;
# the Mitra answers).
PATH = {
    ReferralStatus.DRAFT: [],
    ReferralStatus.SENT: [("send", "manajer")],
    ReferralStatus.ACCEPTED: [("send", "manajer"), ("accept", "mitra")],
    ReferralStatus.IN_SERVICE: [("send", "manajer"), ("accept", "mitra"), ("start", "mitra")],
    ReferralStatus.DONE: [("send", "manajer"), ("accept", "mitra"), ("start", "mitra"), ("done", "mitra")],
    ReferralStatus.REJECTED: [("send", "manajer"), ("reject", "mitra")],
    ReferralStatus.RETURNED: [("send", "manajer"), ("accept", "mitra"), ("return", "mitra")],
    ReferralStatus.CANCELLED: [("cancel", "bo")],
}


def referral_in(desk, status, case=None, need=None, *, backed=False):
    """A referral in `status`; `backed`: drafted from an approved recommendation, else direct."""
    ref = recommended(desk, case, need) if backed else draft(desk, case, need)
    for action, who in PATH[status]:
        ref = move(ref, action, getattr(desk, who), **FIELDS)
    assert ref.status == status
    return ref


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, content_type="application/json"
    )
    token = response.json()["token"]
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _decode(raw: bytes) -> bytes:
    # ReportLab writes ASCII85 (ending "~>") over Flate.
    for decode in (zlib.decompress, lambda b: zlib.decompress(a85decode(b.removesuffix(b"~>")))):
        with contextlib.suppress(zlib.error, ValueError):
            return decode(raw)
    return b""


def pdf_text(data: bytes) -> bytes:
    """The PDF with its content streams decoded, so tests can look for the text on the page."""
    streams = re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S)
    return b"\n".join([data, *(_decode(m.group(1).strip()) for m in streams)])
