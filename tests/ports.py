"""Ports for the servers tests start (gunicorn, nginx, exporters): each test file has its own range."""

import socket


def is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(ports) -> int:
    """The first port of `ports` nothing listens on."""
    ports = list(ports)
    for port in ports:
        if is_free(port):
            return port
    raise RuntimeError(f"no free port in {ports[0]}-{ports[-1]}")
