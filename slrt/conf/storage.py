"""Files every application server and worker reaches: a shared folder or S3-compatible storage."""


def apply(s: dict) -> None:
    pass
