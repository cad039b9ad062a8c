"""Logs, request ids and metrics, without personal data."""


def apply(s: dict) -> None:
    pass
