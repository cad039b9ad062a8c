"""The audit log, readable (issue 13 point 5): filters, scope, names not codes, the NIK never in a
URL or a log line, the person page's link, only Admin, and reading the log is itself audited."""

import datetime as dt

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
