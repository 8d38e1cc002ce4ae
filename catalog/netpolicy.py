"""Which network addresses a crawl may connect to.

Link-local addresses (169.254.0.0/16, fe80::/10, which hold cloud metadata
services) and unspecified/multicast/reserved ones are always refused; loopback
and private ranges are allowed or refused by configuration.
"""

from __future__ import annotations

import ipaddress
import socket


class AddressRefused(Exception):
    pass


def check_address(ip: str, allow_loopback: bool, allow_private: bool) -> None:
    addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped:
        addr = addr.ipv4_mapped
    if addr.is_link_local or addr.is_unspecified or addr.is_multicast or addr.is_reserved:
        raise AddressRefused(f"{ip} is a link-local, multicast or reserved address and is never crawled")
    if addr.is_loopback:
        if not allow_loopback:
            raise AddressRefused(f"{ip} is a loopback address; this server does not crawl loopback targets")
        return
    if addr.is_private and not allow_private:
        raise AddressRefused(f"{ip} is a private address; this server does not crawl private networks")


def resolve_allowed(host: str, port: int, allow_loopback: bool, allow_private: bool) -> str:
    """Resolve `host` and return one address that policy allows; every address
    it resolves to must be allowed, so a name cannot smuggle in a refused one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise AddressRefused(f"could not resolve host {host}") from None
    ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for ip in ips:
        check_address(ip, allow_loopback, allow_private)
    return ips[0]


def check_literal(host: str, allow_loopback: bool, allow_private: bool) -> None:
    """Refuse at registration time a host that is itself a refused IP literal."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    check_address(host, allow_loopback, allow_private)
