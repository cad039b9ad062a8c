"""The client's address: for the sign-in lock-out (django-axes' AXES_CLIENT_IP_CALLABLE) and
the status page's rate limit (django-ratelimit's RATELIMIT_IP_META_KEY).

Without a configured proxy (SLRT_PROXY_COUNT=0, the default) only REMOTE_ADDR counts: a client
cannot pick its own address by sending X-Forwarded-For. Behind N reverse proxies, each adding
the address it received from to X-Forwarded-For, the client is the N-th entry from the right;
entries left of it are whatever the client sent and are ignored. The shipped nginx site
(deploy/nginx/slrt.conf) overwrites the header with the one address it saw, which gives the
same answer for N=1. SLRT_TRUSTED_PROXIES (comma-separated addresses or networks)
additionally limits this to requests whose REMOTE_ADDR is one of the proxies.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def _from_trusted_proxy(remote: str) -> bool:
    networks = settings.SLRT_TRUSTED_PROXIES
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def client_ip(request) -> str | None:
    remote = _valid(request.META.get("REMOTE_ADDR", "") or "")
    count = settings.SLRT_PROXY_COUNT
    if count <= 0 or remote is None or not _from_trusted_proxy(remote):
        return remote
    chain = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(chain) < count:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    return _valid(chain[-count]) or remote


def rate_limit_key(request) -> str:
    """django-ratelimit wants a string; a request without a usable address shares one bucket."""
    return client_ip(request) or ""
