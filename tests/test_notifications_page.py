"""The outbox page: Admin and Manajer only, each Manajer sees their own kabupaten, failed rows can be re-queued."""

import pytest
from django.urls import include, path, reverse

from slrt import urls as project_urls
from slrt.audit.models import AuditEvent
from slrt.notifications.models import Notification, OutboxStatus
from slrt.notifications.services import enqueue
from tests.test_escalation_overdue import make_case

# Until slrt/urls.py mounts the app (a line the lead adds), the tests mount it themselves.
if not any(getattr(p, "namespace", None) == "notifications" for p in project_urls.urlpatterns):
    urlpatterns = [path("notifikasi/", include("slrt.notifications.urls")), *project_urls.urlpatterns]
else:
    urlpatterns = project_urls.urlpatterns

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _row(desa, status=OutboxStatus.FAILED, error="http_error: HTTP 500", phone="081234567890"):
    row = enqueue("case.created", "sms", phone, "Tiket", "SLRT: keluhan Anda tercatat.", make_case(desa))
    Notification.objects.filter(pk=row.pk).update(status=status, last_error=error, attempts=4)
    row.refresh_from_db()
    return row


@pytest.fixture
def rows():
    return {
        "own": _row("32.01.02.2001"),
        "own_pending": _row("32.01.03.2001", status=OutboxStatus.PENDING, error="no_gateway: x"),
        "other": _row("32.02.02.2001", error="connection: ConnectionRefusedError"),
    }


def _ids(response) -> set[int]:
    import re

    return {int(i) for i in re.findall(r'data-notification-id="(\d+)"', response.content.decode())}


def test_manajer_sees_the_counts_and_failed_messages_of_their_own_kab_only(client, make_user, rows):
    client.force_login(make_user("manajer", "32.01"))
    response = client.get(reverse("notifications:outbox"))
    assert response.status_code == 200
    assert _ids(response) == {rows["own"].pk}
    assert response.context["counts"] == {"antre": 1, "terkirim": 0, "gagal": 1}
    # In words, never the raw gateway code (issue 9).
    assert response.context["recent_errors"] == [
        "Gateway SMS/WhatsApp belum diatur; pesan menunggu sampai diatur.",
        "Gateway sedang bermasalah; pesan dicoba lagi otomatis.",
    ]
    html = response.content.decode()
    assert "http_error" not in html and "HTTP 500" not in html
    assert "ConnectionRefusedError" not in html
    # Addresses are masked; the message text is not shown.
    assert "+6281234567890" not in html and "+6281****890" in html
    assert "keluhan Anda tercatat" not in html
    # The menu's administration entry is current here and its page links the outbox.
    assert f'href="{reverse("core:admin")}" aria-current="page"' in html
    assert f'href="{reverse("notifications:outbox")}"' in client.get(reverse("core:admin")).content.decode()

    response = client.get(reverse("notifications:outbox") + "?status=semua")
    assert _ids(response) == {rows["own"].pk, rows["own_pending"].pk}


def test_admin_of_the_nation_sees_every_kab(client, make_user, rows):
    client.force_login(make_user("admin", "00"))
    response = client.get(reverse("notifications:outbox") + "?status=semua")
    assert _ids(response) == {r.pk for r in rows.values()}


@pytest.mark.parametrize(
    "role, region", [("front_office", "32.01"), ("back_office", "32.01"), ("mitra", "32.01"), ("dinsos", "32")]
)
def test_other_roles_are_refused_and_get_no_nav_link(client, make_user, role, region, rows):
    client.force_login(make_user(role, region))
    assert client.get(reverse("notifications:outbox")).status_code == 403
    assert client.post(reverse("notifications:retry", args=[rows["own"].pk])).status_code == 403
    home = client.get(reverse("core:home")).content.decode()
    assert reverse("notifications:outbox") not in home


def test_anonymous_is_sent_to_login(client, rows):
    response = client.get(reverse("notifications:outbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_retry_now_requeues_a_failed_message_and_audits_it(client, make_user, rows):
    manajer = make_user("manajer", "32.01")
    client.force_login(manajer)
    response = client.post(reverse("notifications:retry", args=[rows["own"].pk]))
    assert response.status_code == 302
    row = Notification.objects.get(pk=rows["own"].pk)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert AuditEvent.objects.filter(action="notification.retry", actor=manajer, object_id=str(row.pk)).exists()

    # A second click finds nothing to retry and says so.
    response = client.post(reverse("notifications:retry", args=[row.pk]), follow=True)
    assert "tidak berstatus gagal" in response.content.decode()


def test_retry_through_htmx_swaps_the_row(client, make_user, rows):
    client.force_login(make_user("manajer", "32.01"))
    response = client.post(reverse("notifications:retry", args=[rows["own"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="notif-{rows["own"].pk}"')
    assert "Dalam antrean" in html and "Kirim ulang sekarang" not in html


def test_a_message_of_another_kab_is_404_like_a_missing_one(client, make_user, rows):
    client.force_login(make_user("manajer", "32.01"))
    outside = client.post(reverse("notifications:retry", args=[rows["other"].pk]))
    missing = client.post(reverse("notifications:retry", args=[999_999]))
    assert outside.status_code == missing.status_code == 404
    assert Notification.objects.get(pk=rows["other"].pk).status == OutboxStatus.FAILED


def test_an_invalid_recipient_cannot_be_retried(client, make_user):
    row = enqueue("case.created", "sms", "12345", "Tiket", "x", make_case("32.01.02.2001"))
    client.force_login(make_user("manajer", "32.01"))
    page = client.get(reverse("notifications:outbox"))
    assert row.pk in _ids(page) and "Kirim ulang sekarang" not in page.content.decode()
    response = client.post(reverse("notifications:retry", args=[row.pk]), follow=True)
    assert "tidak valid" in response.content.decode()
    assert Notification.objects.get(pk=row.pk).status == OutboxStatus.FAILED
