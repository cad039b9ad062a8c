"""Helpers for the two-factor tests: an authenticator app built from the secret the enrolment page
shows (RFC 6238 with django-otp's own TOTP code, as a phone app computes it)."""

import re
import time
from base64 import b32decode

from django_otp.oath import TOTP

STEP = 30
ENROL_URL = "/akun/dua-langkah/daftar/"
SECRET_RE = re.compile(r'id="otp-secret">([A-Z2-7 ]+)<')
CODES_RE = re.compile(r"<code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code>")


class Phone:
    """An authenticator app holding one account's secret."""

    def __init__(self, secret_text: str):
        raw = secret_text.replace(" ", "")
        self.key = b32decode(raw + "=" * (-len(raw) % 8))
        self.used = -1

    def at_step(self, t: int) -> str:
        totp = TOTP(self.key, step=STEP)
        totp.time = t * STEP + STEP / 2
        return f"{totp.token():06d}"

    @staticmethod
    def now_step() -> int:
        return int(time.time()) // STEP

    def code(self) -> str:
        """A code the server has not accepted yet: this step's or the next one's (both inside its
        one-step window even if the clock ticks meanwhile); with both used, wait for a new step."""
        while True:
            now = self.now_step()
            for t in (now, now + 1):
                if t > self.used:
                    self.used = t
                    return self.at_step(t)
            time.sleep(STEP - time.time() % STEP + 0.2)


def secret_on(html: str) -> str:
    found = SECRET_RE.search(html)
    assert found, "the enrolment page shows the secret as text"
    return found.group(1)


def recovery_codes_on(html: str) -> list[str]:
    return CODES_RE.findall(html)


def enrol(client) -> tuple[Phone, list[str]]:
    """Enrol the client's signed-in account through the pages, as a person would."""
    page = client.get(ENROL_URL)
    assert page.status_code == 200
    phone = Phone(secret_on(page.content.decode()))
    done = client.post(ENROL_URL, {"code": phone.code()})
    assert done.status_code == 200
    codes = recovery_codes_on(done.content.decode())
    assert len(codes) == 10
    return phone, codes
