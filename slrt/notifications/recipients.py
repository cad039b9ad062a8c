"""Recipient addresses: Indonesian mobile numbers and email, checked before a message is queued.

A number is kept in E.164 (`+628…`) so the gateway gets one form whatever the desk typed
(`0812-3456-789`, `62812…`, `+62 812 …`). Anything else is refused here so it never sits in the
queue retrying a message that can never arrive.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from .models import ChannelKind

_SEPARATORS = re.compile(r"[\s\-.()]")
# Indonesian mobile numbers: 08xx, 10 to 13 digits in national form (8 + 8..11 after the 0).
_MOBILE = re.compile(r"^\+628\d{7,11}$")


class InvalidRecipient(ValueError):
    """The address can never receive a message (the reason holds no part of it)."""


def normalise_phone(raw: str) -> str:
    number = _SEPARATORS.sub("", raw or "")
    if number.startswith("+62"):
        pass
    elif number.startswith("62"):
        number = "+" + number
    elif number.startswith("0"):
        number = "+62" + number[1:]
    else:
        raise InvalidRecipient("phone_format")
    if not _MOBILE.match(number):
        raise InvalidRecipient("phone_format")
    return number


def normalise(channel: str, raw: str) -> str:
    if channel == ChannelKind.EMAIL:
        address = (raw or "").strip()
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidRecipient("email_format") from None
        return address
    if channel in (ChannelKind.SMS, ChannelKind.WHATSAPP):
        return normalise_phone(raw)
    raise InvalidRecipient("channel")


def masked(channel: str, address: str) -> str:
    """What the outbox page shows: enough to recognise an address, not to copy it."""
    if channel == ChannelKind.EMAIL and "@" in address:
        local, domain = address.split("@", 1)
        return f"{local[:1]}***@{domain}"
    if len(address) > 7:
        return f"{address[:5]}****{address[-3:]}"
    return "****"
