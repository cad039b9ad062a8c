"""The region-scope matrix: every role × (its own region, a sibling region, a parent region)
against every URL and API endpoint that shows personal data: registry people and households,
service-desk cases and referrals, and (issue 4) registry proposals, village meetings, field
visits, submissions, the sync pull and the OpenRosa media file of open visits.

One person lives in desa 32.01.02.2001 (kecamatan 32.01.02, kabupaten 32.01, provinsi 32).
For each role we place a user:
  * own:     in the region at the role's level that contains the person  -> sees the person
  * sibling: in a neighbouring region at the same level                   -> 404 / empty
  * parent:  the person is moved into the parent region of the user's
             region but outside the user's own region                     -> 404 / empty
Mitra users see no registry data at all, whatever their region.
"""

import base64
import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from slrt.accounts.roles import ALLOWED_LEVELS, CAPABILITIES, Role
from slrt.wilayah.models import Level
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

DESA = "32.01.02.2001"
OWN = {
    Level.NATION: "00", Level.PROVINSI: "32", Level.KABUPATEN: "32.01", Level.KECAMATAN: "32.01.02", Level.DESA: DESA,
}
SIBLING = {Level.PROVINSI: "33", Level.KABUPATEN: "32.02", Level.KECAMATAN: "32.01.03", Level.DESA: "32.01.02.2002"}
# A desa inside the parent of the user's region but outside the region itself.
ELSEWHERE_IN_PARENT = {
    Level.PROVINSI: "31.71.01.1001",  # another province (parent = nation)
    Level.KABUPATEN: "32.02.02.2001",  # same province, other kabupaten
    Level.KECAMATAN: "32.01.03.2001",  # same kabupaten, other kecamatan
    Level.DESA: "32.01.02.2002",  # same kecamatan, other desa
}


def _role_level(role):
    # The lowest level a role may sit at is where its scope is narrowest: the strictest case.
    return max(ALLOWED_LEVELS[role])


def _endpoints(person):
    household = person.household
    api = [
        ("api people by nik", f"/api/v1/people?nik={person.nik}", "list"),
        ("api people by name", f"/api/v1/people?q={person.nama}", "list"),
        ("api person detail", f"/api/v1/people/{person.pk}", "detail"),
        ("api household detail", f"/api/v1/households/{household.pk}", "detail"),
    ]
    web = []
    for label, name, kwargs, kind in [
        ("web person detail", "registry:person", {"pk": person.pk}, "detail"),
        ("web household profile", "registry:household", {"pk": household.pk}, "detail"),
    ]:
        try:
            web.append((label, reverse(name, kwargs=kwargs), kind))
        except NoReverseMatch:  # pragma: no cover - the page must exist; fail loudly below
            pytest.fail(f"URL {name} is missing")
    try:
        web.append(("web search by nik", reverse("registry:search") + f"?q={person.nik}", "search"))
        web.append(("web search by name", reverse("registry:search") + f"?q={person.nama}", "search"))
    except NoReverseMatch:  # pragma: no cover
        pytest.fail("URL registry:search is missing")
    return api + web


def _visible(client, url, kind, person):
    # A web search's terms are kept under a session key: `?q=` answers 303 to `?s=<key>`.
    response = client.get(url, follow=True)
    if kind == "detail":
        assert response.status_code in (200, 404), (url, response.status_code)
        return response.status_code == 200
    assert response.status_code == 200, (url, response.status_code)
    if url.startswith("/api/"):
        return any(item["id"] == person.pk for item in response.json()["items"])
    return f'data-person-id="{person.pk}"' in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("case", ["own", "sibling", "parent"])
def test_scope_matrix(client, make_user, make_person, role, case):
    level = _role_level(role)
    if case == "own":
        person, user_region, expected = make_person(desa_code=DESA, nama="Sumarni Wulandari"), OWN[level], True
    elif case == "sibling":
        if level == Level.NATION:
            pytest.skip("the nation has no sibling")
        person, user_region, expected = make_person(desa_code=DESA, nama="Sumarni Wulandari"), SIBLING[level], False
    else:
        if level == Level.NATION:
            pytest.skip("the nation has no parent")
        person = make_person(desa_code=ELSEWHERE_IN_PARENT[level], nama="Sumarni Wulandari")
        user_region, expected = OWN[level], False
    if role == Role.MITRA:
        expected = False
    client.force_login(make_user(role, user_region))
    for label, url, kind in _endpoints(person):
        assert _visible(client, url, kind, person) is expected, f"{role} {case}: {label} {url}"


def test_out_of_scope_answers_exactly_like_missing(client, make_user, make_person):
    person = make_person(desa_code=DESA)
    client.force_login(make_user("manajer", "32.02"))
    for path in (f"/api/v1/people/{person.pk}", f"/api/v1/households/{person.household.pk}"):
        hidden = client.get(path)
        missing = client.get(path.rsplit("/", 1)[0] + "/999999999")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


# --- Cases and referrals -------------------------------------------------------------------

AGENCY = "RSUD-3201"


def _case_with_referral(desa, make_user):
    """A case in `desa` with one need referred (sent) to the RSUD-3201 agency (made national)."""
    from slrt.cases import services as case_services
    from slrt.cases.tickets import issue_search_token
    from slrt.programs.catalogue import load_agencies
    from slrt.programs.models import Agency, AgencyService
    from slrt.referrals import services as referral_services

    load_agencies("32.01")
    # A national agency may receive referrals from anywhere (agency area rule), so the matrix can
    # place the case in any region and still send it to the same agency.
    Agency.objects.filter(code=AGENCY).update(region_id="00")
    kab = ".".join(desa.split(".")[:2])
    intake = case_services.Intake(
        complaint_type="pengaduan", channel="sekretariat", needs=[{"sector": "kesehatan", "description": "Rawat inap"}],
        consent_given=True, consent_purpose="Penanganan keluhan", consent_share_agencies=True,
    )
    desk = make_user("manajer", kab)
    case = case_services.create_case(
        desk, intake, new_person=case_services.NewPerson(name="Sumarni Wulandari", desa_code=desa),
        search_token=issue_search_token(desk, "Sumarni"),
    ).case
    service = AgencyService.objects.get(agency__code=AGENCY, code="RAWAT-INAP")
    referral = referral_services.draft_referral(desk, case.needs.get(), service=service)
    # Four eyes: a direct referral is sent by another Manajer than the one who drafted it.
    referral = referral_services.transition(make_user("manajer", kab), referral, "send", referral.version)
    return case, referral


def _desk_endpoints(case, referral):
    return [
        ("api case list", "/api/v1/cases", "list", "cases", case.pk),
        ("api case detail", f"/api/v1/cases/{case.pk}", "detail", "cases", case.pk),
        ("web case list", reverse("cases:list"), "search", "cases", case.pk),
        ("web case page", reverse("cases:detail", args=[case.pk]), "detail", "cases", case.pk),
        ("api referral list", "/api/v1/referrals", "list", "referrals", referral.pk),
        ("api referral detail", f"/api/v1/referrals/{referral.pk}", "detail", "referrals", referral.pk),
        ("web referral page", reverse("referrals:detail", args=[referral.pk]), "detail", "referrals", referral.pk),
    ]


def _desk_visible(client, url, kind, area, pk):
    response = client.get(url, follow=True)
    if kind == "detail" or response.status_code == 403:
        # 403: the role has no business with this kind of record at all (e.g. Mitra on cases).
        assert response.status_code in (200, 403, 404), (url, response.status_code)
        return response.status_code == 200
    assert response.status_code == 200, (url, response.status_code)
    if url.startswith("/api/"):
        return any(item["id"] == pk for item in response.json()["items"])
    marker = "data-case-id" if area == "cases" else "data-referral-id"
    return f'{marker}="{pk}"' in response.content.decode()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["own", "sibling", "parent"])
def test_case_and_referral_scope_matrix(client, make_user, role, where):
    """Staff see a case and its referral only inside their region; a Mitra user never sees the
    case and sees the referral only when it was sent to its own agency, wherever the case lives."""
    level = _role_level(role)
    if level == Level.NATION and where != "own":
        pytest.skip("the nation has no sibling or parent")
    desa = ELSEWHERE_IN_PARENT[level] if where == "parent" else DESA
    case, referral = _case_with_referral(desa, make_user)
    user_region = SIBLING[level] if where == "sibling" else OWN[level]
    if role == Role.MITRA:
        # Mitra users sit at kabupaten level; scope for them is the agency, not the region.
        for agency, expected in ((AGENCY, True), ("DINKES-3201", False)):
            client.force_login(make_user(role, user_region, agency))
            for label, url, kind, area, pk in _desk_endpoints(case, referral):
                sees = _desk_visible(client, url, kind, area, pk)
                assert sees is (expected and area == "referrals"), f"mitra {agency} {where}: {label} {url}"
        return
    client.force_login(make_user(role, user_region))
    for label, url, kind, area, pk in _desk_endpoints(case, referral):
        assert _desk_visible(client, url, kind, area, pk) is (where == "own"), f"{role} {where}: {label} {url}"


# --- Field work and registry proposals (issue 4) --------------------------------------------

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 200
FIELD_ROLES = {Role.FASILITATOR, Role.KOORDINATOR_PUSKESOS}


def _field_records(desa, make_user, make_person, viewer_role=None):
    """Proposals, a village meeting, visits and a submission in `desa`, built by the real services.

    A facilitator of the desa drafts two proposals (a change kept as draft, a desil review walked
    through the supervisor's check to a meeting with minutes), is assigned a verification visit
    and submits it from the field with a photo (waiting for review). A second, open visit is for
    the viewer when the viewer is a field role of the desa (`viewer_role`), else for the facilitator.
    """
    from slrt.fieldwork import selectors as field_selectors
    from slrt.fieldwork import services as field_services
    from slrt.fieldwork.models import SubmissionStatus, VisitKind
    from slrt.updates import services as update_services
    from slrt.wilayah.models import Region

    head = make_person(desa_code=desa, nama="Sumarni Wulandari", hubungan_keluarga="Kepala Keluarga")
    household = head.household
    household.alamat = "Kp. Cibodas"
    household.save()
    kec = desa.rsplit(".", 1)[0]
    fas = make_user("fasilitator", desa)
    sup = make_user("supervisor", kec)
    viewer = make_user(viewer_role, desa) if viewer_role in FIELD_ROLES else None
    if viewer_role == Role.FASILITATOR:
        fas = viewer  # the facilitator viewer is the one who works the visit and submits it

    proposal = update_services.draft_proposal(fas, kind="perubahan", data={"nik": head.nik, "pekerjaan": "Petani"})
    agreed = update_services.draft_proposal(fas, kind="tinjau_desil", data={"nomor_kk": household.nomor_kk},
                                            reason="Usaha bangkrut")
    update_services.verify(fas, agreed)
    update_services.transition(sup, agreed, "check", agreed.version)
    kelurahan = Region.objects.get(code=desa).kind == "kelurahan"
    meeting = update_services.record_meeting(
        fas, desa_code=desa, kind="muskel" if kelurahan else "musdes", held_on=dt.date.today(), attendance=12,
        minutes=SimpleUploadedFile("berita-acara.pdf", b"%PDF-1.4\n%minutes\n", content_type="application/pdf"),
        proposals=[agreed],
    )

    due = dt.date.today() + dt.timedelta(days=3)
    done = field_services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas, due_date=due,
                                       household=household)
    values = {
        "kunjungan": str(done.pk), "hasil": "ditemukan", "kode_wilayah": desa, "nomor_kk": household.nomor_kk,
        "alamat": "Kp. Cibodas Hilir 4", "dusun": "", "rt": "", "rw": "", "lantai": "semen", "luas_lantai": "36",
        "jenis_ppks": "", "program": "", "minta_tinjau_desil": "tidak", "alasan_desil": "", "anggota": [],
        "foto_rumah": "rumah.jpg", "catatan": "",
    }
    result = field_services.receive(
        fas, form_id="slrt_verifikasi_rt", form_version="1", instance_id=f"uuid:matrix-{done.pk}", values=values,
        base=field_selectors.visit_snapshot(done), attachments=[("rumah.jpg", "image/jpeg", JPEG)],
    )
    assert result.status == SubmissionStatus.REVIEW, result.errors
    submission = result.submission
    visit = field_services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=viewer or fas, due_date=due,
                                        household=household, proposal=proposal)
    return SimpleNamespace(proposal=proposal, meeting=meeting, visit=visit, submission=submission,
                           attachment=submission.attachments.get(), viewer=viewer)


SHOWN, HIDDEN, FORBIDDEN = (200, True), (404, False), (403, False)


def _field_rules(role, own, viewer_works_visit):
    """The exact answer of every endpoint for a role, as (status, record present)."""
    def can_role(r, capability):
        return r in CAPABILITIES[capability]

    def gate(capability, visible):
        if not can_role(role, capability):
            return FORBIDDEN
        return SHOWN if visible else HIDDEN

    def listed(rule):
        # A list that the role may open answers 200 whether or not the record is in it.
        return (200, rule[1]) if rule != FORBIDDEN else rule

    registry = gate("view_registry", own)
    visit = gate("view_registry", own and (can_role(role, "assign_visits") or viewer_works_visit))
    submission = gate("view_registry", own and (can_role(role, "review_submissions") or role == Role.FASILITATOR))
    may_pull = can_role(role, "review_submissions") or can_role(role, "use_field_forms")
    # The media file exists only for the roles whose forms carry it (slrt_verifikasi_rt: fasilitator,
    # supervisor); for anyone else the form, and so its file, is absent (404 as OpenRosa answers).
    with_form = can_role(role, "use_field_forms") and role in (Role.FASILITATOR, Role.SUPERVISOR)
    return {
        "proposal": registry, "proposal list": listed(registry),
        "proposal edit": gate("draft_proposal", own),
        "meeting": registry,
        "visit": visit, "visit list": listed(visit),
        "submission": submission,
        "api submission": submission,
        "review queue": listed(gate("review_submissions", own)),
        "pull proposal": (200, own) if may_pull else FORBIDDEN,
        "pull visit": (200, visit[1]) if may_pull else FORBIDDEN,
        "pull submission": (200, submission[1]) if may_pull else FORBIDDEN,
        "media kunjungan": (200, own and viewer_works_visit) if with_form else HIDDEN,
    }


def _basic(user):
    return "Basic " + base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()


def _field_answers(client, rec, user):
    """Ask every endpoint once; (status, whether the record is there) per endpoint label."""
    p, m, v, s = rec.proposal, rec.meeting, rec.visit, rec.submission

    def detail(url, body_starts=None):
        response = client.get(url)
        if response.status_code == 200 and body_starts is not None:
            assert b"".join(response.streaming_content).startswith(body_starts), url
        return response.status_code, response.status_code == 200

    def web_list(url, needle):
        response = client.get(url)
        return response.status_code, response.status_code == 200 and needle in response.content.decode()

    def api_ids(url, key="items"):
        response = client.get(url)
        return response, ({item["id"] for item in response.json()[key]} if response.status_code == 200 else set())

    answers = {}
    answers["proposal"] = detail(reverse("updates:detail", args=[p.pk]))
    answers["proposal list"] = web_list(reverse("updates:list"), f'data-proposal-id="{p.pk}"')
    answers["api proposal"] = detail(f"/api/v1/proposals/{p.pk}")
    response, ids = api_ids("/api/v1/proposals")
    answers["api proposal list"] = (response.status_code, p.pk in ids)
    answers["proposal edit"] = detail(reverse("updates:edit", args=[p.pk]))
    answers["meeting"] = detail(reverse("updates:meeting", args=[m.pk]))
    answers["meeting minutes"] = detail(reverse("updates:meeting_minutes", args=[m.pk]), body_starts=b"%PDF")
    answers["visit"] = detail(reverse("fieldwork:visit", args=[v.pk]))
    answers["visit list"] = web_list(reverse("fieldwork:visits"), f'data-visit-id="{v.pk}"')
    response, ids = api_ids("/api/v1/visits")
    answers["api visit list"] = (response.status_code, v.pk in ids)
    answers["submission"] = detail(reverse("fieldwork:submission", args=[s.pk]))
    answers["attachment"] = detail(reverse("fieldwork:attachment", args=[s.pk, rec.attachment.pk]),
                                   body_starts=JPEG[:4])
    answers["api submission"] = detail(f"/api/v1/submissions/{s.pk}")
    answers["review queue"] = web_list(reverse("fieldwork:review_queue"), f'data-submission-id="{s.pk}"')
    pull = client.get("/api/v1/sync/pull")
    for area, pk in (("proposal", p.pk), ("visit", v.pk), ("submission", s.pk)):
        present = pull.status_code == 200 and pk in {item["id"] for item in pull.json()[area + "s"]}
        answers[f"pull {area}"] = (pull.status_code, present)
    media = client.get("/forms/slrt_verifikasi_rt/media/kunjungan.csv", secure=True, HTTP_AUTHORIZATION=_basic(user))
    rows = media.content.decode().splitlines()[1:] if media.status_code == 200 else []
    answers["media kunjungan"] = (media.status_code, any(r.split(",", 1)[0] == str(v.pk) for r in rows))
    return answers


# Endpoints answering like another one (the API mirrors the web page it sits beside).
SAME_RULE = {
    "api proposal": "proposal", "api proposal list": "proposal list", "meeting minutes": "meeting",
    "api visit list": "visit list", "attachment": "submission",
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("where", ["own", "sibling", "parent"])
def test_fieldwork_and_proposal_scope_matrix(client, settings, tmp_path, make_user, make_person, role, where):
    """Proposals (web detail, list, edit page; API list, detail), a village meeting page and its
    minutes, a visit (web detail, list; API list), a submission (web detail, attachment, API
    detail, review queue), the sync pull and the OpenRosa media file kunjungan.csv.

    Rules, per endpoint (anything outside the user's region is absent: 404 or not listed):
      * proposals and meetings are registry records: every staff role in its region; Mitra 403.
        The edit page needs `draft_proposal` (Dinsos, Front office: 403 wherever the proposal is).
      * visits are tasks: roles that assign visits (Manajer, Supervisor) see those in their
        region; anyone else only the visits assigned to them (here the Fasilitator or Puskesos
        coordinator of the desa is the assignee), other staff see none; Mitra 403.
      * submissions: reviewers (Manajer, Supervisor) see those in their region, anyone else only
        their own (here the Fasilitator of the desa submitted it); Mitra 403 on the web; the API
        detail has no capability gate of its own and answers Mitra 404 through for_user.
        The review queue needs `review_submissions` (403 for anyone else).
      * sync pull: for reviewers and field-form users only (403 otherwise); it hands out the
        proposals in scope, visits as above (assigned to the caller or, for those who assign, in
        scope) and submissions as above.
      * kunjungan.csv (Basic auth over HTTPS): only roles whose forms carry it (Fasilitator,
        Supervisor; 404 as a missing form for anyone else) and it lists only open visits assigned
        to the caller, so the Supervisor's file is empty.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    level = _role_level(role)
    if level == Level.NATION and where != "own":
        pytest.skip("the nation has no sibling or parent")
    desa = ELSEWHERE_IN_PARENT[level] if where == "parent" else DESA
    own = where == "own"
    # A field role of the desa works the visit itself; elsewhere it only shares the role.
    rec = _field_records(desa, make_user, make_person, viewer_role=role if own else None)
    user = rec.viewer or make_user(role, SIBLING[level] if where == "sibling" else OWN[level])
    client.force_login(user)
    rules = _field_rules(role, own, viewer_works_visit=own and role in FIELD_ROLES)
    answers = _field_answers(client, rec, user)
    for label, answer in answers.items():
        expected = rules[SAME_RULE.get(label, label)]
        assert answer == expected, f"{role} {where}: {label} answered {answer}, expected {expected}"


def test_a_colleague_in_the_same_desa_sees_the_proposal_but_not_anothers_visit_or_submission(
        client, settings, tmp_path, make_user, make_person):
    """Visits and submissions are personal tasks: a second facilitator of the same desa sees the
    registry proposal but neither the visit assigned to the first nor what the first submitted."""
    settings.MEDIA_ROOT = tmp_path / "media"
    rec = _field_records(DESA, make_user, make_person)
    colleague = make_user("fasilitator", DESA)
    client.force_login(colleague)
    answers = _field_answers(client, rec, colleague)
    assert answers["proposal"] == answers["pull proposal"] == (200, True)
    for label in ("visit", "submission", "attachment", "api submission"):
        assert answers[label] == HIDDEN, label
    for label in ("visit list", "api visit list", "pull visit", "pull submission", "media kunjungan"):
        assert answers[label] == (200, False), label
