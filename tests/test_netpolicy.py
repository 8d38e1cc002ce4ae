"""The egress policy: one table, resolve and pin, the same check at
registration and crawl time. No test here lets a connection start toward a
non-loopback address: the check functions are called directly, and the only
name resolved is localhost."""

import socket
from types import SimpleNamespace

import pytest

from engines import netpolicy
from engines.netpolicy import AddressRefused, Policy, check_address, check_registration, normalise_host, resolve_allowed

from .crawl_helpers import source_body

OPEN = Policy(allow_loopback=True, allow_private=True)
CLOSED = Policy(allow_loopback=False, allow_private=False)

ALWAYS_REFUSED = [
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean... metadata
    "169.254.0.1",
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
    "fd00:ec2::254",  # AWS IPv6
    "fe80::1",
    "0.0.0.0",
    "0.1.2.3",
    "::",
    "224.0.0.1",
    "239.255.255.250",
    "ff02::1",
    "255.255.255.255",
    "240.0.0.1",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:100.100.100.200",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::c000:c0",  # NAT64 of 192.0.0.192
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:6464:64c8::",  # 6to4 of 100.100.100.200
    "::169.254.169.254",  # IPv4-compatible
]


@pytest.mark.parametrize("ip", ALWAYS_REFUSED)
def test_always_refused_whatever_the_operator_allows(ip):
    with pytest.raises(AddressRefused):
        check_address(ip, allow_loopback=True, allow_private=True)
    with pytest.raises(AddressRefused):
        normalise_host(ip, OPEN)


@pytest.mark.parametrize(
    "ip", ["127.0.0.1", "127.5.5.5", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::"]
)
def test_loopback_in_both_families_follows_the_operator(ip):
    check_address(ip, allow_loopback=True, allow_private=False)
    with pytest.raises(AddressRefused, match="loopback"):
        check_address(ip, allow_loopback=False, allow_private=True)


@pytest.mark.parametrize(
    "ip", ["10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "fc00::1", "fd12:3456::1", "::ffff:10.0.0.1"]
)
def test_private_in_both_families_follows_the_operator(ip):
    check_address(ip, allow_loopback=False, allow_private=True)
    with pytest.raises(AddressRefused, match="private|unique local|shared"):
        check_address(ip, allow_loopback=True, allow_private=False)


@pytest.mark.parametrize("ip", ["8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"])
def test_public_addresses_are_allowed(ip):
    check_address(ip, allow_loopback=False, allow_private=False)


@pytest.mark.parametrize(
    "host",
    [
        "2852039166",  # 169.254.169.254 as one number
        "0251.0376.0251.0376",  # octal
        "0xa9fea9fe",  # hex
        "0xa9.0xfe.0xa9.0xfe",
        "127.1",  # short form of 127.0.0.1
        "127.0.1",
        "017700000001",
        "10.1",
        "1.2.3.04",  # a leading zero is octal to inet_aton
        "127.0.0.1\n",
        " 127.0.0.1",
        "127.0.0.1 ",
        "[::ffff:169.254.169.254]",
        "::ffff:a9fe:a9fe",
        "fe80::1%eth0",
        "[fe80::1%25eth0]",
        "metadata.google.internal",
        "METADATA.google.internal.",
        "instance-data",
        "exa mple.com",
        "bad..name",
        "-leading.example.com",
    ],
)
def test_numeric_and_odd_host_forms_are_refused(host):
    with pytest.raises(AddressRefused):
        normalise_host(host, OPEN)


@pytest.mark.parametrize(
    ("host", "normalised"),
    [
        ("[::1]", "::1"),
        ("0:0:0:0:0:0:0:1", "::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("db.example.com", "db.example.com"),
        ("db.example.com.", "db.example.com"),
        ("127.0.0.1", "127.0.0.1"),
        ("db_1.internal", "db_1.internal"),
    ],
)
def test_allowed_forms_are_normalised(host, normalised):
    assert normalise_host(host, OPEN) == normalised


def test_localhost_is_loopback_without_a_lookup():
    with pytest.raises(AddressRefused, match="loopback"):
        normalise_host("localhost", CLOSED)
    with pytest.raises(AddressRefused, match="loopback"):
        normalise_host("db.localhost", CLOSED)
    assert normalise_host("localhost", OPEN) == "localhost"


def test_the_same_check_runs_at_crawl_time(monkeypatch):
    """A host refused at registration is refused by resolve_allowed before any lookup."""

    def no_lookup(*a, **k):
        raise AssertionError("resolved a host the policy refuses as written")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    for host in ("2852039166", "0xa9fea9fe", "[::ffff:169.254.169.254]", "metadata.google.internal"):
        with pytest.raises(AddressRefused):
            resolve_allowed(host, 5432, OPEN)


def test_every_resolved_address_is_checked_and_the_checked_one_is_returned(monkeypatch):
    """A name resolving to an allowed and a refused address is refused; the
    address returned is one that was checked (resolution faked, nothing connects)."""

    def fake(addresses):
        return lambda host, port, **kw: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake(["127.0.0.1", "169.254.169.254"]))
    with pytest.raises(AddressRefused, match="169.254.169.254"):
        resolve_allowed("rebind.example.com", 5432, OPEN)
    monkeypatch.setattr(socket, "getaddrinfo", fake(["127.0.0.2"]))
    assert resolve_allowed("pinned.example.com", 5432, OPEN) == "127.0.0.2"


def test_resolving_localhost_for_real():
    with pytest.raises(AddressRefused):
        resolve_allowed("localhost", 5432, CLOSED)
    assert resolve_allowed("localhost", 5432, OPEN) in ("127.0.0.1", "::1")


def catalog_policy(allow_server: bool) -> Policy:
    settings = SimpleNamespace(
        catalog_url="postgresql+psycopg2://postgres@127.0.0.1:5432/metacrawl",
        allow_loopback_targets=True,
        allow_private_targets=True,
        allow_catalog_server_targets=allow_server,
    )
    return Policy.from_settings(settings)


def test_the_catalog_database_is_never_a_target():
    for allow_server in (False, True):
        policy = catalog_policy(allow_server)
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(AddressRefused, match="catalog"):
                check_registration(host, 5432, "metacrawl", policy)
        with pytest.raises(AddressRefused, match="catalog"):
            resolve_allowed("127.0.0.1", 5432, policy, "metacrawl")


def test_the_catalog_server_is_refused_unless_the_operator_allows_it():
    strict, lenient = catalog_policy(False), catalog_policy(True)
    with pytest.raises(AddressRefused, match="catalog"):
        check_registration("127.0.0.1", 5432, "other", strict)
    with pytest.raises(AddressRefused, match="catalog"):
        resolve_allowed("localhost", 5432, strict, "other")
    assert check_registration("127.0.0.1", 5432, "other", lenient) == "127.0.0.1"
    assert check_registration("127.0.0.1", 5433, "metacrawl", strict) == "127.0.0.1"  # another port


def test_production_refuses_the_catalog_server_by_default():
    from catalog.settings import from_env

    s = from_env(
        {
            "METACRAWL_ENV": "production",
            "METACRAWL_JWT_SECRET": "x" * 40,
            "METACRAWL_FERNET_KEYS": "ZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmQ=",
            "METACRAWL_FLOWER_PASSWORD": "flower-secret",
        }
    )
    assert not s.allow_catalog_server_targets


@pytest.mark.parametrize("host", ["2852039166", "0251.0376.0251.0376", "0xa9fea9fe", "[::ffff:169.254.169.254]"])
def test_registration_answers_422_naming_host(alice, host):
    r = alice.post("/api/v1/sources", json=source_body(host=host))
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["host"]


def test_registration_refuses_a_trailing_newline(alice):
    r = alice.post("/api/v1/sources", json=source_body(host="127.0.0.1\n"))
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["host"]


def test_registration_stores_the_normalised_host(alice):
    body = alice.post("/api/v1/sources", json=source_body(host="[::1]")).get_json()
    assert body["host"] == "::1"


def test_patch_checks_host_port_and_database_together(alice, catalog_url):
    sid = alice.post("/api/v1/sources", json=source_body()).get_json()["id"]
    database = catalog_url.rsplit("/", 1)[1]
    r = alice.patch(f"/api/v1/sources/{sid}", json={"host": "127.0.0.1", "port": 5432, "database": database})
    assert r.status_code == 422 and "catalog" in r.get_json()["errors"]["json"]["host"][0]
    r = alice.patch(f"/api/v1/sources/{sid}", json={"host": "0xa9fea9fe"})
    assert r.status_code == 422


def test_production_crawl_errors_read_alike(monkeypatch):
    """A refused address and an unreachable one give the same message in production."""
    from dataclasses import replace

    from catalog.settings import Settings
    from crawl.source import open_source
    from engines.base import TargetUnreachable

    netpolicy.policy_for.cache_clear()
    prod = replace(Settings(), env="production", allow_loopback_targets=False, allow_private_targets=False)
    source = SimpleNamespace(
        engine="postgresql",
        settings={"host": "169.254.169.254", "port": 5432, "database": "d", "username": "u", "options": {}},
        secrets={},
    )
    with pytest.raises(TargetUnreachable) as refused:
        open_source(source, prod)
    dev = replace(Settings(), allow_loopback_targets=False)
    with pytest.raises(Exception) as told:
        open_source(source, dev)
    assert "never crawled" in str(told.value) and "never crawled" not in str(refused.value)
    assert "unreachable or not allowed" in str(refused.value)


def test_production_unreachable_reads_like_refused():
    """Loopback only: a closed port on 127.0.0.1 in production says what a refused address says."""
    from dataclasses import replace

    from catalog.settings import Settings
    from catalog.vault import Vault, encrypt_secrets
    from crawl.source import open_source
    from engines.base import TargetUnreachable

    from .conftest import free_port

    netpolicy.policy_for.cache_clear()
    base = Settings()
    prod = replace(base, env="production", allow_loopback_targets=True)
    port = free_port()
    closed = SimpleNamespace(
        engine="postgresql",
        settings={"host": "127.0.0.1", "port": port, "database": "d", "username": "u", "options": {}},
        secrets=encrypt_secrets(Vault(base.fernet_keys), {"password": "pw"}),
    )
    with pytest.raises(TargetUnreachable) as unreachable, open_source(closed, prod):
        pass
    refused = SimpleNamespace(
        engine="postgresql",
        settings={"host": "169.254.169.254", "port": port, "database": "d", "username": "u", "options": {}},
        secrets={},
    )
    with pytest.raises(TargetUnreachable) as not_allowed:
        open_source(refused, replace(prod, allow_loopback_targets=False))
    assert str(unreachable.value).replace("127.0.0.1", "H") == str(not_allowed.value).replace("169.254.169.254", "H")
