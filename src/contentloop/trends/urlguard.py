"""SSRF guard: feed URLs come from configuration people type, so never let them reach
internal services (cloud metadata, databases on loopback, the LAN) by accident or malice."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Sequence
from urllib.parse import urlsplit

from contentloop.domain.errors import ContentloopError

Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})


class UnsafeURL(ContentloopError):
    """A URL was refused before any request was made; `reason` says which rule refused it."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact_url(url)
        self.reason = reason
        super().__init__(f"refused URL {self.url}: {reason}")


def redact_url(url: str) -> str:
    """The URL without credentials, query or fragment (where tokens usually live)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    if not parts.scheme:
        return parts.path or "<empty URL>"
    redacted = f"{parts.scheme}://{host}{port}{parts.path}"
    if parts.query:
        redacted += "?…"
    return redacted


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the OS resolver (the same one the HTTP client will use)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _blocked_reason(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return _blocked_reason(mapped)
    for label, flag in (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return label
    if not ip.is_global:
        return "non-global"
    return None


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    allow_hosts: Collection[str] = (),
    resolver: Resolver | None = None,
) -> list[str]:
    """Raise `UnsafeURL` unless `url` is http(s) and every address its host resolves to is public.

    `allow_private=True` lifts the address rule (demo, tests); `allow_hosts` lifts it only for
    the named hosts (e.g. ``("127.0.0.1", "localhost")``). Returns the resolved addresses.
    Hostnames are resolved via `resolver` (default: the OS); pass one in to test without DNS.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeURL(url, f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = scheme or "none"
        raise UnsafeURL(url, f"scheme {shown!r} is not allowed; use http or https")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeURL(url, "no host in URL")
    port = port or (443 if scheme == "https" else 80)
    allowed = {h.lower().strip("[]") for h in allow_hosts}
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        try:
            addresses = list((resolver or system_resolver)(host, port))
        except (OSError, UnicodeError) as exc:
            raise UnsafeURL(url, f"cannot resolve host {host!r} ({exc})") from None
    if not addresses:
        raise UnsafeURL(url, f"host {host!r} resolves to no address")
    if allow_private or host.lower() in allowed:
        return addresses
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            raise UnsafeURL(url, f"host {host!r} resolved to a non-IP {address!r}") from None
        reason = _blocked_reason(ip)
        if reason is not None and address not in allowed:
            raise UnsafeURL(
                url,
                f"host {host!r} resolves to {reason} address {address}; "
                "pass allow_private=True or list the host in allow_hosts if this is intended",
            )
    return addresses
