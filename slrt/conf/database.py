"""PostgreSQL in production: connection pooling, statement timeouts, the read replica."""


def apply(s: dict) -> None:
    pass
