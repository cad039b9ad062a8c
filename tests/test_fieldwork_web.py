"""Field work pages: the facilitator's task list, assigning a visit, the review queue and the
submission page (conflicts side by side, approve/return, attachments through a scoped view)."""

import datetime as dt

import pytest

from slrt.fieldwork import selectors, services
from slrt.fieldwork.models import Submission, SubmissionStatus, Visit, VisitKind, VisitStatus
from tests.test_referrals_fixtures import client_for

DESA = "32.01.02.2001"
JPEG = b"\xff\xd8\xff\xe0" + b"1" * 100


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def field(make_user, make_person):
    head = make_person(desa_code=DESA, nama="Asep Sunandar", sex="L")
    hh = head.household
    hh.alamat = "Kp. Cibodas"
    hh.save()
    fas = make_user("fasilitator", DESA)
    sup = make_user("supervisor", "32.01.02")
    late = services.assign_visit(sup, kind=VisitKind.VERIFICATION, assigned_to=fas,
                                 due_date=dt.date.today(), household=hh)
    Visit.unscoped.filter(pk=late.pk).update(due_date=dt.date.today() - dt.timedelta(days=2))
    return {"hh": hh, "fas": fas, "sup": sup, "visit": late, "make_user": make_user}


def submit(f, alamat, *, base=None, attachments=()):
    values = {"kunjungan": str(f["visit"].pk), "hasil": "ditemukan", "kode_wilayah": DESA,
              "nomor_kk": f["hh"].nomor_kk, "alamat": alamat, "anggota": [], "minta_tinjau_desil": "tidak"}
    return services.receive(f["fas"], form_id="slrt_verifikasi_rt", instance_id=f"uuid:{alamat}", values=values,
                            base=base if base is not None else selectors.visit_snapshot(f["visit"]),
                            attachments=attachments).submission


def test_the_task_list_shows_my_visits_overdue_and_the_collect_hint(field):
    other = field["make_user"]("fasilitator", DESA)
    page = client_for(field["fas"]).get("/lapangan/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-visit-id="{field["visit"].pk}" class="overdue"' in html
    assert "Lewat tenggat" in html and "ODK Collect" in html
    assert field["hh"].nomor_kk in html
    assert f'data-visit-id="{field["visit"].pk}"' not in client_for(other).get("/lapangan/").content.decode()
    assert client_for(other).get(f"/lapangan/kunjungan/{field['visit'].pk}/").status_code == 404


def test_opening_a_visit_page_is_an_audited_read(field):
    from slrt.audit.models import AuditEvent

    assert client_for(field["fas"]).get(f"/lapangan/kunjungan/{field['visit'].pk}/").status_code == 200
    event = AuditEvent.objects.get(action="visit.view")
    assert event.actor == field["fas"] and event.object_id == str(field["visit"].pk)


def test_a_returned_visit_shows_its_reason_in_the_task_list(field):
    sub = submit(field, "Jl. Baru")
    services.review_submission(field["sup"], sub, "return", "Nomor rumah belum ada")
    html = client_for(field["fas"]).get("/lapangan/").content.decode()
    assert "Nomor rumah belum ada" in html and "Dikembalikan" in html
    assert f'href="/lapangan/kiriman/{sub.pk}/"' in html  # the facilitator's own recent submissions


def test_the_supervisor_assigns_a_visit_by_kk(field):
    client = client_for(field["sup"])
    form = client.get(f"/lapangan/kunjungan/baru/?rumah_tangga={field['hh'].pk}")
    assert field["hh"].nomor_kk in form.content.decode()
    response = client.post("/lapangan/kunjungan/baru/", {
        "kind": "verifikasi", "nomor_kk": field["hh"].nomor_kk, "assigned_to": field["fas"].pk,
        "due_date": (dt.date.today() + dt.timedelta(days=5)).isoformat(), "note": "Cek ulang"})
    assert response.status_code == 302
    visit = Visit.objects.system().latest("pk")
    assert visit.assigned_to == field["fas"] and visit.household == field["hh"] and visit.note == "Cek ulang"
    bad = client.post("/lapangan/kunjungan/baru/", {"kind": "verifikasi", "nomor_kk": "9999999999999999",
                                                    "assigned_to": field["fas"].pk,
                                                    "due_date": dt.date.today().isoformat()})
    assert bad.status_code == 422 and "tidak ditemukan" in bad.content.decode()
    assert client_for(field["fas"]).get("/lapangan/kunjungan/baru/").status_code == 403


def test_conflicts_are_shown_side_by_side_and_resolved_with_radio_buttons(field):
    base = selectors.visit_snapshot(field["visit"])
    field["hh"].alamat = "Kantor"
    field["hh"].save()
    sub = submit(field, "Tablet", base=base)
    assert sub.status == SubmissionStatus.CONFLICT
    client = client_for(field["sup"])
    queue = client.get("/lapangan/tinjauan/").content.decode()
    assert f'data-submission-id="{sub.pk}"' in queue
    html = client.get(f"/lapangan/kiriman/{sub.pk}/").content.decode()
    assert 'name="pilih-alamat" value="server"' in html and 'name="pilih-alamat" value="submitted"' in html
    assert "Kantor" in html and "Tablet" in html
    assert client.post(f"/lapangan/kiriman/{sub.pk}/konflik/", {}).status_code == 422
    done = client.post(f"/lapangan/kiriman/{sub.pk}/konflik/", {"pilih-alamat": "submitted"})
    assert done.status_code == 302
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.REVIEW


def test_approve_and_scope_of_the_review_pages(field):
    sub = submit(field, "Jl. Baru", attachments=[("rumah.jpg", "image/jpeg", JPEG)])
    far_sup = field["make_user"]("supervisor", "32.01.03")
    far = client_for(far_sup)
    assert f'data-submission-id="{sub.pk}"' not in far.get("/lapangan/tinjauan/").content.decode()
    assert far.get(f"/lapangan/kiriman/{sub.pk}/").status_code == 404
    att = sub.attachments.get()
    assert far.get(f"/lapangan/kiriman/{sub.pk}/lampiran/{att.pk}/").status_code == 404

    client = client_for(field["sup"])
    file = client.get(f"/lapangan/kiriman/{sub.pk}/lampiran/{att.pk}/")
    assert file.status_code == 200 and b"".join(file.streaming_content) == JPEG
    assert file["Content-Type"] == "image/jpeg" and file["X-Content-Type-Options"] == "nosniff"
    assert client.post(f"/lapangan/kiriman/{sub.pk}/tinjau/", {"action": "return", "note": ""}).status_code == 422
    assert client.post(f"/lapangan/kiriman/{sub.pk}/tinjau/", {"action": "approve"}).status_code == 302
    assert Submission.objects.system().get().status == SubmissionStatus.APPROVED
    field["visit"].refresh_from_db()
    assert field["visit"].status == VisitStatus.DONE
    # The facilitator sees their own submission but has no review buttons.
    own = client_for(field["fas"]).get(f"/lapangan/kiriman/{sub.pk}/").content.decode()
    assert 'id="tinjau"' not in own


def test_nav_link_by_capability(field):
    assert "Tinjauan lapangan" in client_for(field["sup"]).get("/lapangan/").content.decode()
    fas_page = client_for(field["fas"]).get("/lapangan/").content.decode()
    assert "Tinjauan lapangan" not in fas_page and 'href="/lapangan/"' in fas_page
