"""Ticket numbers, resident status codes and the intake search token.

* Ticket `SLRT-<kab 4 digits>-<year>-<6-digit sequence per kab per year>`: the sequence is an
  atomic `UPDATE … SET last = last + 1` on one counter row inside the caller's transaction, so
  two desks never get the same number (PostgreSQL row lock; SQLite serialises writers).
  `next_number` is the one such counter for every numbered thing (tickets, referral numbers,
  letter numbers), keyed by kind, kabupaten/kota and year.
* Status code: 8 characters from an alphabet without look-alikes (0/O, 1/I/L, 2/Z, 5/S, 8/B),
  so it can be read aloud or typed from a paper receipt. Only an HMAC of ticket + code is
  stored; comparison is constant-time.
* Search token: proof, signed by the server, that this user searched the registry shortly
  before registering a person who is not in it (search before create).
"""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Counter, CounterKind

STATUS_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
STATUS_CODE_LENGTH = 8
SEARCH_TOKEN_SALT = "slrt.cases.intake-search"  # noqa: S105 - a signing namespace, not a secret
SEARCH_TOKEN_MAX_AGE = 2 * 60 * 60  # an intake conversation, not a day
SEARCH_TOKEN_MAX_LENGTH = 200  # an issued token is about 70 characters; a longer one is not read at all
STATUS_CODE_MAX_LENGTH = 16  # the code with the separators people type ("ACDE-FGHJ", spaces)


def next_number(kind: str, kab_code: str, year: int) -> int:
    """The next sequence of one kind of number for a kabupaten/kota and year.

    Call inside the transaction that stores the number: the counter row stays locked by our
    UPDATE until that transaction commits, so a concurrent caller waits and gets the next value
    (PostgreSQL row lock; SQLite serialises writers). No retries needed.
    """
    counters = Counter.objects.filter(kind=kind, kab_code=kab_code, year=year)
    with transaction.atomic():
        if not counters.update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    Counter.objects.create(kind=kind, kab_code=kab_code, year=year, last=1)
            except IntegrityError:  # another caller created the row first: take the next number
                counters.update(last=F("last") + 1)
        return counters.values_list("last", flat=True).get()


def next_ticket(kab_code: str, year: int | None = None) -> str:
    """The next ticket of a kabupaten/kota; call inside the transaction that creates the case."""
    year = year or timezone.localdate().year
    last = next_number(CounterKind.TICKET, kab_code, year)
    return f"SLRT-{kab_code.replace('.', '')}-{year}-{last:06d}"


def new_status_code() -> str:
    return "".join(secrets.choice(STATUS_CODE_ALPHABET) for _ in range(STATUS_CODE_LENGTH))


def normalize_status_code(raw: str) -> str:
    return "".join((raw or "").split()).replace("-", "").upper()


def hash_status_code(ticket: str, code: str) -> str:
    message = f"{ticket.upper()}:{normalize_status_code(code)}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def status_code_matches(ticket: str, code: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_status_code(ticket, code), stored_hash or "")


def format_status_code(code: str) -> str:
    """`ABCD-EFGH`: easier to copy by hand."""
    return f"{code[:4]}-{code[4:]}" if len(code) == STATUS_CODE_LENGTH else code


def issue_search_token(user, by: str) -> str:
    return signing.dumps({"u": user.pk, "by": by}, salt=SEARCH_TOKEN_SALT, compress=True)


def search_token_valid(user, token: str | None) -> bool:
    if not token or len(token) > SEARCH_TOKEN_MAX_LENGTH:
        return False
    try:
        data = signing.loads(token, salt=SEARCH_TOKEN_SALT, max_age=SEARCH_TOKEN_MAX_AGE)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == user.pk
