"""The audit log, readable (issue 13 point 5): filters, scope, names not codes, the NIK never in a
URL or a log line, the person page's link, only Admin, and reading the log is itself audited."""

import datetime as dt
import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.audit.services import record, record_shown
from slrt.privacy.audit_log import audit_log, audit_log_filters_from, audit_rows

URL = "/audit/"


@pytest.fixture
def world(make_user, make_person):
    """Two residents in 32.01, one in 32.02; events by three officers."""
    w = {
        "admin": make_user("admin", "00"),
        "admin_kab": make_user("admin", "32.01"),
        "manajer": make_user("manajer", "32.01"),
        "fo": make_user("front_office", "32.01"),
        "fo2": make_user("front_office", "32.02"),
        "dinsos": make_user("dinsos", "32"),
    }
    w["fo"].first_name, w["fo"].last_name = "Rina", "Wulandari"
    w["fo"].save(update_fields=["first_name", "last_name"])
    w["siti"] = make_person("32.01.02.2001", "Siti Aminah")
    w["budi"] = make_person("32.01.03.2001", "Budi Santoso")
    w["asep"] = make_person("32.02.02.2001", "Asep Saepudin")
    # Account creation is audited too; the tests count only the events written below.
    w["before"] = set(AuditEvent.objects.values_list("pk", flat=True))
    ev = w["events"] = {}
    ev["siti_view"] = record(w["fo"], "person.view", w["siti"])
    ev["budi_view"] = record(w["fo"], "person.view", w["budi"])
    ev["siti_household"] = record(w["manajer"], "household.view", w["siti"].household)
    ev["search"] = record_shown(w["fo"], "person.search", count=2, region_code="32.01",
                                people=[w["siti"].pk, w["budi"].pk])
    ev["asep_view"] = record(w["fo2"], "person.view", w["asep"])
    ev["rule"] = record(w["manajer"], "rule.save", region_code="32.01")
    return w


def ids(qs, world=None):
    return {e.pk for e in qs} - (world["before"] if world else set())


@pytest.mark.django_db
def test_a_resident_filter_answers_every_event_about_them_and_nothing_else(world):
    w, ev = world, world["events"]
    f = audit_log_filters_from({"nik": w["siti"].nik}, w["admin"])
    # Counted from the rows the test wrote: her person page, her household page, the search that showed her.
    assert ids(audit_log(w["admin"], f)) == {ev["siti_view"].pk, ev["siti_household"].pk, ev["search"].pk}
    by_id = audit_log_filters_from({"orang": str(w["siti"].pk)}, w["admin"])
    assert ids(audit_log(w["admin"], by_id)) == ids(audit_log(w["admin"], f))


@pytest.mark.django_db
def test_actor_action_date_and_region_filters_narrow_the_log(world):
    w, ev = world, world["events"]
    admin = w["admin"]
    f = audit_log_filters_from({"petugas": str(w["fo"].pk)}, admin)
    assert ids(audit_log(admin, f), w) == {ev["siti_view"].pk, ev["budi_view"].pk, ev["search"].pk}
    f = audit_log_filters_from({"aksi": "rule.save"}, admin)
    assert ids(audit_log(admin, f), w) == {ev["rule"].pk}
    f = audit_log_filters_from({"wilayah": "32.02"}, admin)
    assert ids(audit_log(admin, f), w) == {ev["asep_view"].pk}
    today = timezone.localdate()
    f = audit_log_filters_from({"dari": today.isoformat(), "sampai": today.isoformat(), "wilayah": "32.01.03"}, admin)
    assert ids(audit_log(admin, f), w) == {ev["budi_view"].pk}
    tomorrow = (today + dt.timedelta(days=2)).isoformat()
    assert not audit_log(admin, audit_log_filters_from({"dari": tomorrow}, admin)).exists()


@pytest.mark.django_db
def test_bad_filters_are_refused_naming_each_parameter_in_indonesian(world):
    admin = world["admin"]
    with pytest.raises(ValidationError) as exc:
        audit_log_filters_from({"nik": "12345", "dari": "30-11-2026", "aksi": "DROP TABLE", "petugas": "x",
                                "wilayah": "99.99"}, admin)
    errors = exc.value.message_dict
    assert set(errors) == {"nik", "dari", "aksi", "petugas", "wilayah"}
    assert "16 angka" in errors["nik"][0] and "TTTT-BB-HH" in errors["dari"][0]
    with pytest.raises(ValidationError) as exc:
        audit_log_filters_from({"dari": "2026-11-30", "sampai": "2026-11-01"}, admin)
    assert "sebelum" in exc.value.message_dict["sampai"][0]


@pytest.mark.django_db
def test_a_regional_admin_reads_only_its_region_and_only_its_residents(world):
    w, ev = world, world["events"]
    kab = w["admin_kab"]
    everything = ids(audit_log(kab, audit_log_filters_from({}, kab)), w)
    assert ev["asep_view"].pk not in everything
    assert {ev["siti_view"].pk, ev["budi_view"].pk, ev["search"].pk, ev["rule"].pk} <= everything
    with pytest.raises(ValidationError) as exc:  # out of scope: as if the person did not exist
        audit_log_filters_from({"orang": str(w["asep"].pk)}, kab)
    assert "orang" in exc.value.message_dict
    assert not audit_log(kab, audit_log_filters_from({"nik": w["asep"].nik}, kab)).exists()
    # Another role reads nothing, whatever it asks.
    assert not audit_log(w["manajer"], audit_log_filters_from({}, w["manajer"])).exists()


@pytest.mark.django_db
def test_rows_speak_in_names_with_the_resident_masked_per_role(world):
    w, ev = world, world["events"]
    admin = w["admin"]
    rows = {r["id"]: r for r in audit_rows(admin, audit_log(admin, audit_log_filters_from({}, admin)))}
    row = rows[ev["siti_view"].pk]
    assert row["actor"] == "Rina Wulandari (Front office)"
    assert row["action_label"] == "membuka data warga"
    assert "Desa" in row["region"] or row["region"]  # a name from the region table, not the code
    assert row["region"] != "32.01.02.2001"
    # Admin sees names and NIKs in full (its role may: see_full_nik); an oversight role gets initials.
    assert row["people"] == ["Siti Aminah"] and row["niks"] == [w["siti"].nik]
    assert rows[ev["rule"].pk]["action_label"] == "menyimpan aturan kelayakan"
    assert rows[ev["siti_household"].pk]["people"] == ["Siti Aminah"]
    assert rows[ev["search"].pk]["people"] == ["Siti Aminah", "Budi Santoso"]
    dinsos = w["dinsos"]
    masked = {r["id"]: r for r in audit_rows(dinsos, [ev["siti_view"], ev["search"]])}
    assert masked[ev["siti_view"].pk]["people"] == ["S. A."]
    assert masked[ev["siti_view"].pk]["niks"] == [w["siti"].nik[:6] + "********" + w["siti"].nik[14:]]
    assert masked[ev["search"].pk]["people"] == ["S. A.", "B. S."]


# --- the page ------------------------------------------------------------------------------------

HREF = re.compile(r'(?:href|action)="([^"]*)"')


@pytest.mark.django_db
@pytest.mark.parametrize("role, region", [("manajer", "32.01"), ("front_office", "32.01"), ("dinsos", "32"),
                                          ("supervisor", "32.01.02")])
def test_only_admin_opens_the_audit_log(client, make_user, role, region):
    client.force_login(make_user(role, region))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"nik": "3201020101900001"}).status_code == 403


@pytest.mark.django_db
def test_a_nik_is_posted_and_never_reaches_a_url_or_a_log_line(client, world, caplog):
    w, ev = world, world["events"]
    nik = w["siti"].nik
    client.force_login(w["admin"])
    caplog.set_level(logging.DEBUG)
    posted = client.post(URL, {"nik": nik})
    assert posted.status_code == 303
    location = posted["Location"]
    assert nik not in location and location.startswith(URL + "?s=")
    page = client.get(location)
    html = page.content.decode()
    assert page.status_code == 200
    shown = {int(i) for i in re.findall(r'data-event-id="(\d+)"', html)}
    assert shown == {ev["siti_view"].pk, ev["siti_household"].pk, ev["search"].pk}
    assert all(nik not in href for href in HREF.findall(html))
    # An old-style link with the NIK in its query is moved at once to a session key.
    moved = client.get(URL + "?nik=" + nik)
    assert moved.status_code == 303 and nik not in moved["Location"]
    assert not [r for r in caplog.records if nik in r.getMessage()]
    assert not [e for e in AuditEvent.objects.filter(action="audit_log.view") if nik in str(e.detail)]


@pytest.mark.django_db
def test_the_page_speaks_in_names_not_codes(client, world):
    w, ev = world, world["events"]
    client.force_login(w["admin"])
    html = client.get(URL + f"?petugas={w['fo'].pk}").content.decode()
    row = re.search(rf'<tr data-event-id="{ev["siti_view"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "Rina Wulandari (Front office)" in row and "membuka data warga" in row and "Siti Aminah" in row
    rows = html[html.index('id="audit-log"'):]
    assert "person.view" not in rows and "32.01.02.2001" not in row and w["fo"].username not in row
    assert re.search(r'class="region">[^<—]+<', row)
    search_row = re.search(rf'<tr data-event-id="{ev["search"].pk}">(.*?)</tr>', html, re.S).group(1)
    assert "mencari warga" in search_row and "Budi Santoso" in search_row


@pytest.mark.django_db
def test_the_person_page_links_to_the_log_of_that_person_by_id(client, world):
    w, ev = world, world["events"]
    client.force_login(w["manajer"])
    assert "Siapa melihat atau mengubah data ini" not in client.get(f"/registri/warga/{w['siti'].pk}/").content.decode()
    client.force_login(w["admin"])
    html = client.get(f"/registri/warga/{w['siti'].pk}/").content.decode()
    link = re.search(r'<a [^>]*href="([^"]+)"[^>]*>Siapa melihat atau mengubah data ini</a>', html).group(1)
    assert link == f"{URL}?orang={w['siti'].pk}" and w["siti"].nik not in link
    page = client.get(link).content.decode()
    assert "Siapa melihat atau mengubah data Siti Aminah" in page
    shown = {int(i) for i in re.findall(r'data-event-id="(\d+)"', page)}
    # Her events, and the two openings of her person page just now, by the manajer and the admin.
    opened = AuditEvent.objects.filter(action="person.view", object_id=str(w["siti"].pk),
                                       pk__gt=ev["rule"].pk)
    assert {e.actor for e in opened} == {w["manajer"], w["admin"]}
    assert shown == {ev["siti_view"].pk, ev["siti_household"].pk, ev["search"].pk} | {e.pk for e in opened}
    assert ev["budi_view"].pk not in shown


@pytest.mark.django_db
def test_viewing_the_log_is_itself_audited_with_its_filter_and_the_residents_named(client, world):
    w = world
    client.force_login(w["admin"])
    client.get(URL + f"?orang={w['budi'].pk}&aksi=person.view")
    event = AuditEvent.objects.filter(action="audit_log.view", actor=w["admin"]).latest("pk")
    assert event.detail["filter"] == {"people": [w["budi"].pk], "action": "person.view"}
    assert event.detail["count"] == 1 and event.detail["people"] == [w["budi"].pk]
    # The next reader of Budi's log sees that this admin looked at it.
    f = audit_log_filters_from({"orang": str(w["budi"].pk)}, w["admin"])
    assert event.pk in ids(audit_log(w["admin"], f))


@pytest.mark.django_db
def test_bad_filters_answer_400_naming_the_field_and_show_nothing(client, world):
    client.force_login(world["admin"])
    page = client.get(URL + "?dari=kemarin&wilayah=Antah+Berantah")
    html = page.content.decode()
    assert page.status_code == 400
    assert "TTTT-BB-HH" in html and "tidak ditemukan" in html and "data-event-id" not in html


@pytest.mark.django_db
def test_the_log_is_paginated_and_paging_keeps_the_posted_filter(client, world):
    w = world
    for _i in range(55):
        record(w["fo"], "person.view", w["siti"])
    client.force_login(w["admin"])
    location = client.post(URL, {"nik": w["siti"].nik})["Location"]
    first = client.get(location).content.decode()
    assert len(re.findall(r'data-event-id="', first)) == 50 and 'data-total="58"' in first
    second = client.get(location + "&hal=2").content.decode()
    # 58 events, and now the audit row of reading page 1, which named her.
    assert 'data-total="59"' in second and len(re.findall(r'data-event-id="', second)) == 9
