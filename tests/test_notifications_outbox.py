"""The outbox: queued with the action, sent by the job, retried while a gateway is down, never lost."""

import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from slrt.audit.models import AuditEvent
from slrt.notifications.models import Notification, OutboxStatus
from slrt.notifications.recipients import InvalidRecipient, normalise_phone
from slrt.notifications.sending import backoff, process_outbox
from slrt.notifications.services import enqueue, notify
from tests.test_escalation_overdue import make_case, make_referral

pytestmark = pytest.mark.django_db


class Gateway:
    """A real HTTP SMS/WhatsApp gateway on localhost: answers each POST with the next status."""

    def __init__(self, statuses=(200,), delay=0.0):
        self.statuses = list(statuses)
        self.requests = []
        self.delay = delay
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if gateway.delay:
                    time.sleep(gateway.delay)
                with gateway.lock:
                    gateway.requests.append(
                        {
                            "json": json.loads(body),
                            "auth": self.headers.get("Authorization"),
                            "type": self.headers.get("Content-Type"),
                            "key": self.headers.get("Idempotency-Key"),
                        }
                    )
                    status = gateway.statuses.pop(0) if len(gateway.statuses) > 1 else gateway.statuses[0]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if status < 300 else b'{"error": "down for +6281234567890"}')

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that timed out and hung up is part of the test, not noise

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}/send"


@pytest.fixture(autouse=True)
def _mail_and_gateway(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.DEFAULT_FROM_EMAIL = "SLRT <slrt@dinsos.example.go.id>"
    settings.SLRT_SMS_GATEWAY_URL = ""
    settings.SLRT_SMS_GATEWAY_TOKEN = "rahasia-gateway"
    settings.SLRT_SMS_GATEWAY_TIMEOUT = 2
    settings.SLRT_NOTIFY_MAX_ATTEMPTS = 4
    settings.SLRT_NOTIFY_BACKOFF_MINUTES = (1, 5, 15, 60)
    settings.SLRT_RESIDENT_CHANNEL = "sms"


def _sms(case=None, phone="081234567890"):
    return enqueue("case.created", "sms", phone, "Tiket", "SLRT: keluhan Anda tercatat.", case or make_case())


# --- enqueue ------------------------------------------------------------------------------------


def test_notify_enqueues_inside_the_callers_transaction_so_a_rollback_sends_nothing():
    case = make_case(phone="0812 3456 7890", email="warga@example.com")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        notify("case.created", case)
        assert Notification.objects.count() == 2
        raise Boom
    assert Notification.objects.count() == 0

    notify("case.created", case)
    assert Notification.objects.count() == 2
    assert process_outbox()["sent"] == 1  # email sent; the SMS waits for a gateway


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("62 812 3456 7890", "+6281234567890"),
        ("+62 (812) 3456.7890", "+6281234567890"),
        ("0811234567", "+62811234567"),
    ],
)
def test_indonesian_mobile_numbers_are_normalised_to_one_form(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "0212345678", "+6512345678", "08123", "0812345678901234", "08abc"])
def test_numbers_that_are_not_indonesian_mobiles_are_refused(raw):
    with pytest.raises(InvalidRecipient):
        normalise_phone(raw)


def test_an_invalid_recipient_is_failed_at_once_with_its_reason_not_queued_forever():
    case = make_case(phone="12345", email="bukan-email")
    rows = notify("case.created", case)
    assert {r.status for r in rows} == {OutboxStatus.FAILED}
    assert {r.error_code for r in rows} == {"invalid_recipient"}
    assert process_outbox() == {"sent": 0, "retry": 0, "failed": 0, "waiting": 0}
    audit = AuditEvent.objects.filter(action="notification.failed")
    assert audit.count() == 2 and all("12345" not in str(a.detail) for a in audit)


def test_messages_to_residents_name_the_ticket_never_the_nik_or_name():
    case = make_case(email="warga@example.com")
    referral = make_referral(case=case)
    rows = notify("case.created", case) + notify("referral.accepted", referral) + notify("referral.done", referral)
    assert len(rows) == 6
    for row in rows:
        assert case.ticket in row.body
        assert case.applicant_nik not in row.body and "Siti" not in row.body
        assert row.desa_code == case.desa_code and row.kab_code == "32.01"
    assert rows[0].recipient == "+6281234567890"


def test_resident_messages_are_indonesian_even_when_staff_use_english():
    from django.utils import translation

    case = make_case()
    with translation.override("en"):
        row = notify("case.created", case)[0]
    assert "keluhan Anda tercatat" in row.body


# --- sending ------------------------------------------------------------------------------------


def test_email_is_sent_through_django_mail():
    case = make_case(phone="", email="warga@example.com")
    notify("case.created", case)
    assert process_outbox()["sent"] == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["warga@example.com"]
    assert message.from_email == "SLRT <slrt@dinsos.example.go.id>"
    assert case.ticket in message.subject and case.ticket in message.body
    row = Notification.objects.get()
    assert row.status == OutboxStatus.SENT and row.attempts == 1 and row.sent_at is not None


def test_sms_goes_to_the_http_gateway_as_json_with_the_bearer_token(settings):
    with Gateway([200]) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        case = make_case()
        notify("case.created", case)
        assert process_outbox()["sent"] == 1
    assert len(gateway.requests) == 1
    sent = gateway.requests[0]
    assert sent["auth"] == "Bearer rahasia-gateway"
    assert sent["type"] == "application/json"
    assert sent["json"]["to"] == "+6281234567890"
    assert sent["json"]["channel"] == "sms"
    assert case.ticket in sent["json"]["message"]
    assert Notification.objects.get().status == OutboxStatus.SENT


def test_no_gateway_configured_keeps_sms_pending_with_a_clear_error_and_spends_no_attempt():
    row = _sms()
    now = timezone.now()
    assert process_outbox(now=now)["waiting"] == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert row.error_code == "no_gateway" and "SLRT_SMS_GATEWAY_URL" in row.last_error
    assert row.next_attempt_at > now


def test_gateway_down_is_retried_with_growing_backoff_then_delivered_when_it_returns(settings):
    row = _sms()
    t0 = timezone.now()
    with Gateway([500, 503, 200]) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        assert process_outbox(now=t0)["retry"] == 1
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "http_error: HTTP 500")
        assert row.next_attempt_at == t0 + dt.timedelta(minutes=1)
        # Not due before its backoff: nothing is sent.
        assert process_outbox(now=t0 + dt.timedelta(seconds=30))["retry"] == 0
        assert len(gateway.requests) == 1

        t1 = t0 + dt.timedelta(minutes=1)
        assert process_outbox(now=t1)["retry"] == 1
        row.refresh_from_db()
        assert row.attempts == 2 and row.next_attempt_at == t1 + dt.timedelta(minutes=5)
        assert "6281234567890" not in row.last_error  # the gateway's body is never kept

        t2 = t1 + dt.timedelta(minutes=5)
        assert process_outbox(now=t2)["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.sent_at) == (OutboxStatus.SENT, 3, "", t2)
    assert len(gateway.requests) == 3
    assert {r["json"]["message"] for r in gateway.requests} == {row.body}
    # Every attempt of the row carries the row's one key, so the gateway can drop a repeat.
    assert [r["key"] for r in gateway.requests] == [str(row.idempotency_key)] * 3
    assert _sms().idempotency_key != row.idempotency_key


def test_connection_refused_is_retried_and_the_message_goes_out_once_the_gateway_is_up(settings):
    row = _sms()
    settings.SLRT_SMS_GATEWAY_URL = _closed_port_url()
    t0 = timezone.now()
    assert process_outbox(now=t0)["retry"] == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.last_error == "connection: ConnectionRefusedError"

    with Gateway([200]) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        assert process_outbox(now=t0 + dt.timedelta(minutes=1))["sent"] == 1
    assert len(gateway.requests) == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT


def test_a_gateway_that_hangs_times_out_and_is_retried(settings):
    row = _sms()
    settings.SLRT_SMS_GATEWAY_TIMEOUT = 0.3
    with Gateway([200], delay=1.0) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        started = timezone.now()
        assert process_outbox()["retry"] == 1
        assert timezone.now() - started < dt.timedelta(seconds=1)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.PENDING, 1, "timeout: TimeoutError")


def test_backoff_grows_and_then_stays_at_the_last_step():
    assert [backoff(n) for n in (1, 2, 3, 4, 9)] == [dt.timedelta(minutes=m) for m in (1, 5, 15, 60, 60)]


def test_after_the_maximum_attempts_the_message_fails_permanently_and_is_audited(settings):
    row = _sms()
    now = timezone.now()
    with Gateway([500]) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        outcomes = []
        for _ in range(6):
            counts = process_outbox(now=now)
            outcomes.append(counts)
            now += dt.timedelta(hours=2)
    assert [c["retry"] for c in outcomes[:3]] == [1, 1, 1]
    assert outcomes[3]["failed"] == 1
    assert outcomes[4] == outcomes[5] == {"sent": 0, "retry": 0, "failed": 0, "waiting": 0}
    assert len(gateway.requests) == 4
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.FAILED, 4, "http_error: HTTP 500")
    audit = AuditEvent.objects.get(action="notification.failed", object_id=str(row.pk))
    assert audit.detail == {"reason": "http_error", "attempts": 4, "channel": "sms"}


def test_a_broken_mail_server_is_retried_like_a_gateway(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(_closed_port_url().split(":")[2].split("/")[0])
    case = make_case(phone="", email="warga@example.com")
    notify("case.created", case)
    assert process_outbox()["retry"] == 1
    row = Notification.objects.get()
    assert row.status == OutboxStatus.PENDING and row.error_code == "connection"


# --- two workers --------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL row locks")
def test_two_concurrent_workers_never_send_one_message_twice(regions_after_flush, settings):
    from django.db import connections

    case = make_case()
    rows = [_sms(case, phone=f"08123456{n:04d}") for n in range(40)]
    with Gateway([200], delay=0.01) as gateway:
        settings.SLRT_SMS_GATEWAY_URL = gateway.url
        barrier = threading.Barrier(2)
        totals, errors = [], []

        def worker():
            try:
                barrier.wait()
                sent = 0
                while True:
                    counts = process_outbox(limit=5)
                    if not any(counts.values()):
                        break
                    sent += counts["sent"]
                totals.append(sent)
            except Exception as exc:  # noqa: BLE001 (surfaced below; a thread's exception is otherwise lost)
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not errors
    assert sum(totals) == 40
    assert all(t > 0 for t in totals), "both workers took part"
    recipients = [r["json"]["to"] for r in gateway.requests]
    assert len(recipients) == len(set(recipients)) == 40
    assert Notification.objects.filter(status=OutboxStatus.SENT).count() == len(rows)
