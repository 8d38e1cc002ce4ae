"""Which network addresses a crawl may connect to: resolve once, check every
address, connect to the checked one.

One table (`RANGES`) says what every range is: `refused` (always: link-local,
the metadata services of the major clouds, "this network", multicast,
broadcast, reserved), `loopback` or `private` (allowed only when the operator
says so). IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible,
6to4, NAT64, Teredo) are checked for the address they carry as well, so
`::ffff:169.254.169.254` or `64:ff9b::a9fe:a9fe` is refused like
169.254.169.254 itself.

`normalise_host` is the one check of a host as written: the API runs it when
a source is registered or changed (a refusal is a 422 naming `host`), and
`resolve_allowed` runs it again at crawl time before resolving. Numeric forms
that C resolvers read as IPv4 addresses but that are no dotted quad
(`2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`, `127.1`) are refused, so
what the policy checks is what a driver would connect to.

The catalog's own database server (host and port of METACRAWL_CATALOG_URL) is
refused as a target, unless the operator allows crawling other databases of
that server (a development machine); the catalog database itself never.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

import psutil

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Kind = Literal["refused", "loopback", "private"]


class AddressRefused(Exception):
    pass


# The one table. Order does not matter: every entry an address falls in applies.
RANGES: tuple[tuple[str, Kind, str], ...] = (
    # always refused
    ("0.0.0.0/8", "refused", "'this network' (0.0.0.0/8)"),
    ("169.254.0.0/16", "refused", "IPv4 link-local (cloud metadata: 169.254.169.254)"),
    ("100.100.100.200/32", "refused", "a cloud metadata address (Alibaba Cloud)"),
    ("192.0.0.0/24", "refused", "IETF protocol assignments (cloud metadata: Oracle Cloud 192.0.0.192)"),
    ("224.0.0.0/4", "refused", "IPv4 multicast"),
    ("240.0.0.0/4", "refused", "IPv4 reserved (240.0.0.0/4)"),
    ("255.255.255.255/32", "refused", "the broadcast address"),
    ("::/128", "refused", "the unspecified IPv6 address"),
    ("fe80::/10", "refused", "IPv6 link-local"),
    ("fec0::/10", "refused", "IPv6 site-local (deprecated)"),
    ("168.63.129.16/32", "refused", "Azure's platform address (WireServer: host agent and metadata)"),
    ("fd00:ec2::/32", "refused", "AWS's IPv6 instance services (metadata, DNS, time)"),
    ("fd20:ce::254/128", "refused", "a cloud metadata address (Google Cloud, IPv6)"),
    ("ff00::/8", "refused", "IPv6 multicast"),
    # the operator decides
    ("127.0.0.0/8", "loopback", "loopback"),
    ("::1/128", "loopback", "loopback"),
    ("10.0.0.0/8", "private", "a private network (10.0.0.0/8)"),
    ("172.16.0.0/12", "private", "a private network (172.16.0.0/12)"),
    ("192.168.0.0/16", "private", "a private network (192.168.0.0/16)"),
    ("100.64.0.0/10", "private", "shared address space (100.64.0.0/10)"),
    ("fc00::/7", "private", "an IPv6 unique local network (fc00::/7)"),
)
_NETWORKS = [(ipaddress.ip_network(net), kind, why) for net, kind, why in RANGES]

# IPv6 prefixes whose last 32 bits are an IPv4 address.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

# Names that are the metadata service, whatever they resolve to where the crawl runs.
METADATA_NAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.com",
        "metadata.tencentyun.com",
    }
)

_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
# A last label a C resolver would read as a number (decimal, octal or hex).
_NUMERIC_LABEL = re.compile(r"(?:0[xX][0-9A-Fa-f]*|[0-9]+)")


@dataclass(frozen=True)
class Policy:
    allow_loopback: bool = False
    allow_private: bool = False
    # (addresses, port, database) of the catalog; allow_catalog_server lets
    # other databases of that server be crawled, never the catalog database.
    catalog_addresses: frozenset[str] = field(default_factory=frozenset)
    catalog_port: int | None = None
    catalog_database: str | None = None
    allow_catalog_server: bool = False

    @classmethod
    def from_settings(cls, settings, resolve: bool = True) -> Policy:
        url = urlsplit(settings.catalog_url)
        host, port = url.hostname or "localhost", url.port or 5432
        addresses = {host}
        if resolve:
            with contextlib.suppress(socket.gaierror, UnicodeError):
                addresses |= {str(i[4][0]) for i in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
        return cls(
            allow_loopback=settings.allow_loopback_targets,
            allow_private=settings.allow_private_targets,
            catalog_addresses=frozenset(_canonical(a) for a in addresses),
            catalog_port=port,
            catalog_database=url.path.lstrip("/") or None,
            allow_catalog_server=settings.allow_catalog_server_targets,
        )


@lru_cache(maxsize=8)
def policy_for(settings) -> Policy:
    """The policy of these settings (the catalog's address resolved once per process)."""
    return Policy.from_settings(settings)


def _canonical(host: str) -> str:
    """One spelling per address: `::ffff:127.0.0.1` is 127.0.0.1, `[::1]` is ::1."""
    try:
        addr = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.lower().rstrip(".")
    mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
    return str(mapped or addr)


def _is_loopback(host: str) -> bool:
    try:
        addr = ipaddress.ip_address(_canonical(host))
    except ValueError:
        return host.lower() == "localhost"
    return addr.is_loopback


@lru_cache(maxsize=1)
def _own_addresses() -> frozenset[str]:
    """This machine's own addresses: every interface's (psutil), and what
    its name resolves to. A server listening on every interface answers on
    each of them."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for addresses in psutil.net_if_addrs().values():
            found |= {
                _canonical(a.address.split("%")[0]) for a in addresses if a.family in (socket.AF_INET, socket.AF_INET6)
            }
    for name in {socket.gethostname(), socket.getfqdn()}:
        with contextlib.suppress(socket.gaierror, UnicodeError, OSError):
            found |= {_canonical(str(i[4][0])) for i in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)}
    return frozenset(found)


def _is_this_machine(host: str) -> bool:
    return _is_loopback(host) or _canonical(host) in _own_addresses()


def embedded_ipv4(addr: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo client)."""
    if not isinstance(addr, ipaddress.IPv6Address):
        return None
    if addr.ipv4_mapped:
        return addr.ipv4_mapped
    if addr.sixtofour:
        return addr.sixtofour
    if addr.teredo:
        return addr.teredo[1]
    if any(addr in net for net in _NAT64) or (addr in _IPV4_COMPATIBLE and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def classify(addr: Address) -> list[tuple[Kind, str]]:
    """Every entry of the table `addr` (or the IPv4 address it carries) falls in."""
    found = [(kind, why) for net, kind, why in _NETWORKS if addr.version == net.version and addr in net]
    inner = embedded_ipv4(addr)
    if inner is not None:
        found += [(kind, f"{why}, inside {addr}") for kind, why in classify(inner)]
    return found


def check_address(ip: str | Address, allow_loopback: bool, allow_private: bool) -> None:
    """Raise AddressRefused unless policy lets a crawl connect to `ip`."""
    addr = ip if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address) else _parse_ip(ip)
    for kind, why in classify(addr):
        if kind == "refused":
            raise AddressRefused(f"{ip} is {why} and is never crawled")
        if kind == "loopback" and not allow_loopback:
            raise AddressRefused(f"{ip} is a loopback address; this server does not crawl loopback targets")
        if kind == "private" and not allow_private:
            raise AddressRefused(f"{ip} is {why}; this server does not crawl private networks")


def _parse_ip(text: str) -> Address:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise AddressRefused(f"{text!r} is not an IP address") from None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        raise AddressRefused(f"{text} has a zone index (%...); zoned addresses are link-local and never crawled")
    return addr


def normalise_host(host: str, policy: Policy) -> str:
    """The host as a driver should get it, or AddressRefused saying why not.

    IP literals are checked against the table here; names are checked by
    `resolve_allowed` at crawl time, except `localhost` (loopback by
    definition) and the metadata services' names."""
    if not isinstance(host, str) or not host or len(host) > 253 or host != host.strip() or not host.isascii():
        raise AddressRefused("not a valid host name or address (no spaces, control or non-ASCII characters)")
    if host.startswith("[") or ":" in host:  # IPv6, with or without brackets
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        addr = _parse_ip(inner)
        check_address(addr, policy.allow_loopback, policy.allow_private)
        return str(addr)
    name = host.rstrip(".") if host.endswith(".") and not host.endswith("..") else host
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise AddressRefused(f"{host!r} is not a valid host name or address")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        # A resolver reads this as an IPv4 address: accept only the dotted quad itself.
        try:
            addr4 = ipaddress.IPv4Address(name)
        except ValueError:
            raise AddressRefused(
                f"{host!r} is a numeric address in a form other than four decimal numbers (a.b.c.d); "
                "write the address as a dotted quad"
            ) from None
        check_address(addr4, policy.allow_loopback, policy.allow_private)
        return str(addr4)
    lower = name.lower()
    if lower in METADATA_NAMES:
        raise AddressRefused(f"{host} is a cloud metadata service and is never crawled")
    if lower == "localhost" or lower.endswith(".localhost"):
        check_address("127.0.0.1", policy.allow_loopback, policy.allow_private)
    return name


def _is_catalog_host(addr: str, policy: Policy) -> bool:
    """Whether `addr` reaches the catalog's server. A catalog on this machine
    (a loopback address, or one of its own) is reached through every one of
    them: every loopback address (127.0.0.2 too) and, when it listens on
    every interface, each interface's address."""
    canonical = _canonical(addr)
    if canonical in policy.catalog_addresses:
        return True
    if any(_is_this_machine(a) for a in policy.catalog_addresses):
        return _is_this_machine(canonical)
    return False


def _check_catalog(addr: str, port: int, database: str | None, policy: Policy) -> None:
    if port != policy.catalog_port or not _is_catalog_host(addr, policy):
        return
    if not policy.allow_catalog_server or database == policy.catalog_database:
        raise AddressRefused(f"{addr}:{port} is this server's own catalog database and is never crawled")


def check_registration(host: str, port: int, database: str | None, policy: Policy) -> str:
    """The API's check of a source's host (no DNS lookups): the normalised host."""
    normalised = normalise_host(host, policy)
    _check_catalog(normalised, port, database, policy)
    if normalised.lower() == "localhost" or normalised.lower().endswith(".localhost"):
        for loop in ("127.0.0.1", "::1"):
            _check_catalog(loop, port, database, policy)
    return normalised


def resolve_allowed(host: str, port: int, policy: Policy, database: str | None = None) -> str:
    """Resolve `host` once and return the address to connect to. Every address
    it resolves to must be allowed, so a name cannot smuggle in a refused one;
    the connection then goes to the checked address (libpq `hostaddr`, PyMySQL
    `host`), so a second lookup cannot answer differently."""
    name = normalise_host(host, policy)
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"could not resolve host {host}") from None
    ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not ips:
        raise AddressRefused(f"could not resolve host {host}")
    for ip in ips:
        check_address(ip, policy.allow_loopback, policy.allow_private)
        _check_catalog(ip, port, database, policy)
    return ips[0]


def check_literal(host: str, allow_loopback: bool, allow_private: bool) -> None:
    """Refuse a host that is itself a refused IP literal (kept for callers of the old API)."""
    normalise_host(host, Policy(allow_loopback=allow_loopback, allow_private=allow_private))
