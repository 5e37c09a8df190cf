"""OpenAI-compatible endpoints typed by a visitor of the app: public https hosts only.

A base URL typed into the app makes the *server* send requests, so it is checked twice: once as
text (`check_visitor_base_url`: https, a host, no `user:password@`, no literal private address),
and again on every connection (`PublicOnlyBackend`): the host is resolved, every address must be
public, and the socket connects to the address that was checked, so a DNS answer that changes
between the check and the connection (rebinding) cannot reach loopback, the LAN or a metadata
service. Redirects are never followed and the timeouts are tight. An operator who runs their own
server on a private network allows it with CHATPAPER_ALLOW_PRIVATE_ENDPOINTS=true.

Messages never repeat the URL: it may carry a password, and the visitor already knows it.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from chatpaper.errors import ProviderError

log = logging.getLogger(__name__)

PUBLIC_ONLY = (
    "The base URL must be a public https address (not localhost, a private network or a link-local one); "
    "the app only talks to public endpoints."
)
RESOLVES_PRIVATE = (
    "The base URL's host resolves to a private or local address; the app only talks to public https endpoints."
)
NO_CREDENTIALS = "The base URL must not hold a user name or password; paste the key into the API key box instead."
HTTPS_ONLY = "The base URL must start with https:// (for example https://api.openai.com/v1)."
NO_HOST = "The base URL has no host name; give one like https://api.openai.com/v1."


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address (not loopback, private, link-local, multicast, reserved)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") is link-local anyway
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    return ip.is_global and not ip.is_multicast


def check_visitor_base_url(raw: str, *, allow_private: bool = False) -> str:
    """The visitor's base URL, refused with one sentence unless it is an https URL of a public host.

    The text checks (length, control characters) are `chatpaper.fields.base_url`'s; this is the policy.
    Names that resolve to private addresses are refused later, at connect time (`PublicOnlyBackend`).
    """
    import httpx2  # the SDK's URL parser: what it cannot parse is refused here, in words

    try:
        parts = urlsplit(raw)
        port = parts.port  # raises on a port that is not a number or out of range
        httpx2.URL(raw)
    except (ValueError, httpx2.InvalidURL) as exc:
        raise ProviderError("The base URL is not a valid URL; give one like https://api.openai.com/v1.") from exc
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ProviderError(NO_CREDENTIALS)
    if parts.scheme.lower() != "https" and not (allow_private and parts.scheme.lower() == "http"):
        raise ProviderError(HTTPS_ONLY)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ProviderError(NO_HOST)
    if not allow_private:
        if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal")):
            raise ProviderError(PUBLIC_ONLY)
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass  # a name: checked on the resolved addresses at connect time
        else:
            if not is_public_address(host):
                raise ProviderError(PUBLIC_ONLY)
    del port
    return raw


# The message of the ConnectError raised when an address is refused; httpx and the SDK re-raise it
# under their own types, so `refused_as_private` finds it by its words along the cause chain.
REFUSED_MARKER = "chatpaper refused a non-public address"


def public_backend():
    """An httpcore2 network backend whose `connect_tcp` connects only to checked public addresses."""
    import httpcore2  # the openai SDK's transport; imported with it

    class PublicOnlyBackend(httpcore2.SyncBackend):
        def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                        local_address: str | None = None, socket_options: Iterable[Any] | None = None):
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:
                raise httpcore2.ConnectError(str(exc)) from exc
            addresses = [str(info[4][0]) for info in infos]  # a host: IPv4 and IPv6 sockaddrs start with it
            if not addresses or not all(is_public_address(a) for a in addresses):
                # Every answer must be public: a mixed answer is how rebinding services pick their moment.
                log.warning("refused a visitor endpoint whose host resolves to a non-public address")
                raise httpcore2.ConnectError(REFUSED_MARKER)
            # Connect to the address just checked, never to the name again (the TLS name stays the host's).
            return super().connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                       socket_options=socket_options)

    return PublicOnlyBackend()


def visitor_http_client(*, allow_private: bool, connect_seconds: float, read_seconds: float):
    """An httpx2 client for a visitor's endpoint: no redirects, no proxy from the environment, tight timeouts."""
    import httpx2

    transport = httpx2.HTTPTransport(trust_env=False, retries=0)
    if not allow_private:
        # httpx2's transport does not take a network backend; its connection pool does.
        transport._pool._network_backend = public_backend()
    timeout = httpx2.Timeout(read_seconds, connect=connect_seconds, pool=connect_seconds)
    return httpx2.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


def refused_as_private(exc: BaseException) -> bool:
    """True when an SDK error was caused by our refusal of a non-public address (walks the cause chain)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if str(current) == REFUSED_MARKER:
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return False
