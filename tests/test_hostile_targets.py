"""A registered user aims metacrawl at hostile servers and URLs: nothing of
the server's files leaves it, the URL cannot choose where the driver
connects, and the catalog is never a target, whatever the spelling."""

from __future__ import annotations

import pytest

from catalog.settings import Settings
from engines.netpolicy import AddressRefused, Policy, check_address, check_registration

from .conftest import wait_for_crawl
from .crawl_helpers import source_body
from .fake_servers import FakeMySQL
from .targets import pg_database, pg_execute


def _generic(url: str, **extra) -> dict:
    return {"name": "generic", "engine": "sqlalchemy", "url": url, "password": "p", **extra}


def _test_connection(user, body: dict) -> dict:
    body = {k: v for k, v in body.items() if k != "name"}
    r = user.post("/api/v1/sources/test-connection", json=body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# --- the server's files ---------------------------------------------------------------


def test_local_infile_in_a_url_is_refused_naming_the_parameter(alice):
    """The reproducer: `?local_infile=1` made PyMySQL send /proc/self/environ."""
    with FakeMySQL("infile") as server:
        url = f"mysql+pymysql://x@127.0.0.1:{server.port}/x?local_infile=1"
        r = alice.post("/api/v1/sources/test-connection", json={"engine": "sqlalchemy", "url": url, "password": "p"})
        assert r.status_code == 422
        assert "local_infile" in r.get_json()["errors"]["json"]["url"][0]
        r = alice.post("/api/v1/sources", json=_generic(url))
        assert r.status_code == 422 and "local_infile" in r.get_json()["errors"]["json"]["url"][0]
    assert server.received == b"" and server.logins == 0


@pytest.mark.parametrize("engine", ["mariadb", "mysql", "sqlalchemy"])
def test_a_server_asking_for_a_file_gets_none_in_a_connection_test(alice, engine):
    with FakeMySQL("infile") as server:
        if engine == "sqlalchemy":
            body = _generic(f"mysql+pymysql://x@127.0.0.1:{server.port}/x")
        else:
            body = source_body(engine=engine, host="127.0.0.1", port=server.port, database="x")
        _test_connection(alice, body)
    assert server.received == b""


@pytest.mark.parametrize("engine", ["mariadb", "sqlalchemy"])
def test_a_server_asking_for_a_file_gets_none_in_a_crawl(alice, worker, engine):
    with FakeMySQL("infile") as server:
        if engine == "sqlalchemy":
            body = _generic(f"mysql+pymysql://x@127.0.0.1:{server.port}/x")
        else:
            body = source_body(engine=engine, host="127.0.0.1", port=server.port, database="x")
        r = alice.post("/api/v1/sources", json=body)
        assert r.status_code == 201, r.get_json()
        job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
    assert server.file_requests >= 1, "the fake server never got to ask"
    assert server.received == b""
    assert job["state"] == "failed"
    assert "LOAD DATA LOCAL INFILE" in job["error"]["message"]
    assert "metacrawl never sends files" in job["error"]["message"]


# --- the URL does not choose where the driver connects ---------------------------------


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("mysql+pymysql://x@127.0.0.1:3306/x?host=127.0.0.2", "host"),
        ("postgresql+psycopg2://x@127.0.0.1:5432/x?host=169.254.169.254", "host"),
        ("mysql+pymysql://root@127.0.0.1:1/x?unix_socket=/run/mysqld/mysqld.sock", "unix_socket"),
        ("postgresql+psycopg2://postgres@127.0.0.1:1/metacrawl?port=5432", "port"),
        ("mysql+pymysql://x@127.0.0.1/x?init_command=DROP+TABLE+t", "init_command"),
        ("mysql+pymysql://x@127.0.0.1/x?read_default_file=/etc/mysql/my.cnf", "read_default_file"),
        ("postgresql+psycopg2://x@127.0.0.1/x?options=-c+statement_timeout%3D0", "options"),
        ("postgresql+psycopg2://x@127.0.0.1/x?service=prod", "service"),
        ("postgresql+psycopg2://x@127.0.0.1/x?passfile=/root/.pgpass", "passfile"),
        ("postgresql+psycopg2://x@127.0.0.1/x?sslrootcert=/etc/ssl/private/key.pem", "sslrootcert"),
        ("postgresql+psycopg2://x@127.0.0.1/x?application_name=x", "application_name"),
    ],
)
def test_url_parameters_outside_the_allowlist_are_refused_by_name(alice, url, parameter):
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422, r.get_json()
    assert f'"{parameter}"' in r.get_json()["errors"]["json"]["url"][0]


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://x@127.0.0.1/x?password=in-clear",
        "mysql+pymysql://x@127.0.0.1/x?passwd=in-clear",
        "postgresql+psycopg2://x:in-clear@127.0.0.1/x",
    ],
)
def test_a_url_holding_a_password_anywhere_is_refused(alice, url):
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422
    assert "password" in r.get_json()["errors"]["json"]["url"][0]
    assert "in-clear" not in r.get_data(as_text=True)
    assert alice.get("/api/v1/sources").get_json()["sources"] == []


def test_an_allowed_url_parameter_with_a_bad_value_is_refused(alice):
    r = alice.post("/api/v1/sources", json=_generic("postgresql+psycopg2://x@127.0.0.1/x?sslmode=bogus"))
    assert r.status_code == 422 and "sslmode" in r.get_json()["errors"]["json"]["url"][0]


@pytest.mark.parametrize(
    "url",
    ["postgresql://x@127.0.0.1/x", "postgresql+pg8000://x@127.0.0.1/x", "mysql://x@127.0.0.1/x"],
)
def test_drivers_metacrawl_cannot_bound_are_refused(alice, url):
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422 and r.get_json()["errors"]["json"]["url"]


def test_a_server_url_without_a_host_is_refused(alice):
    r = alice.post("/api/v1/sources", json=_generic("postgresql+psycopg2://postgres@/metacrawl"))
    assert r.status_code == 422 and "host" in r.get_json()["errors"]["json"]["url"][0]


def test_an_allowed_url_registers_and_crawls(alice, worker):
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE t (id int PRIMARY KEY)")
        r = alice.post(
            "/api/v1/sources", json=_generic(f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}?sslmode=disable")
        )
        assert r.status_code == 201, r.get_json()
        job = wait_for_crawl(alice, r.get_json()["crawl"]["url"])
    assert job["state"] == "succeeded", job


# --- the catalog, however it is spelled --------------------------------------------------


def _catalog_db(catalog_url: str) -> str:
    return catalog_url.rsplit("/", 1)[1]


@pytest.mark.parametrize("host", ["::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "127.0.0.2", "127.1.2.3", "::1"])
def test_the_catalog_by_another_loopback_spelling_is_refused(alice, catalog_url, host):
    r = alice.post("/api/v1/sources", json=source_body(host=host, port=5432, database=_catalog_db(catalog_url)))
    assert r.status_code == 422, r.get_json()
    assert "catalog" in r.get_json()["errors"]["json"]["host"][0]


@pytest.mark.parametrize("port", ["", ":5432"])
def test_the_catalog_through_the_sqlalchemy_engine_is_refused(alice, catalog_url, port):
    url = f"postgresql+psycopg2://postgres@127.0.0.1{port}/{_catalog_db(catalog_url)}"
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422, r.get_json()
    assert "catalog" in r.get_json()["errors"]["json"]["url"][0]


def test_other_databases_of_the_catalog_server_follow_the_operators_choice():
    strict = Policy.from_settings(
        Settings(
            catalog_url="postgresql+psycopg2://postgres@127.0.0.1:5432/metacrawl", allow_catalog_server_targets=False
        )
    )
    for host in ("::ffff:127.0.0.1", "127.0.0.2", "::1"):
        with pytest.raises(AddressRefused, match="catalog"):
            check_registration(host, 5432, "other", strict)


@pytest.mark.parametrize("address", ["168.63.129.16", "fd20:ce::254", "fd00:ec2::254", "fd00:ec2::23"])
def test_cloud_platform_addresses_are_refused_where_private_targets_are_allowed(address):
    with pytest.raises(AddressRefused, match="never crawled"):
        check_address(address, allow_loopback=True, allow_private=True)


# --- a target that went away --------------------------------------------------------


def test_a_dropped_target_database_is_reported_as_missing(alice, worker):
    """Crawled once, then dropped: the next crawl says the database does not
    exist (not a timeout, not a connection failure)."""
    with pg_database() as name:
        pg_execute(name, "CREATE TABLE t (id int PRIMARY KEY)")
        r = alice.post(
            "/api/v1/sources", json=source_body(host="127.0.0.1", port=5432, database=name, username="postgres")
        )
        assert r.status_code == 201, r.get_json()
        source = r.get_json()
        assert wait_for_crawl(alice, source["crawl"]["url"])["state"] == "succeeded"
    again = alice.post(f"/api/v1/sources/{source['id']}/crawls").get_json()
    job = wait_for_crawl(alice, again["url"])
    assert job["state"] == "failed"
    assert job["error"]["type"] == "database_not_found", job["error"]
    assert f'database "{name}" does not exist' in job["error"]["message"]


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg2://postgres@127.0.0.1:5432", "postgresql+psycopg2://postgres@127.0.0.1:5432/"],
)
def test_a_server_url_without_a_database_is_refused(alice, url):
    """libpq would take the user's name as the database: `postgres@.../` with
    no database was the catalog's server's `postgres`, `metacrawl@...` the
    catalog itself, unchecked (found by review)."""
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422 and "database" in r.get_json()["errors"]["json"]["url"][0]


@pytest.mark.parametrize("url", ["duckdb://u@127.0.0.1/etc/passwd", "sqlite://127.0.0.1/etc/passwd"])
def test_a_file_url_with_a_host_is_refused(alice, url):
    """A host once skipped the allowed-directories check of a file URL (found by review)."""
    r = alice.post("/api/v1/sources", json=_generic(url))
    assert r.status_code == 422 and "no host" in r.get_json()["errors"]["json"]["url"][0]


def test_a_url_without_a_port_connects_to_the_port_the_policy_checked():
    """The driver never picks a port from the environment (PGPORT)."""
    from engines.base import ConnectionParams
    from engines.generic_url import url_and_args

    url, _args = url_and_args(ConnectionParams(settings={"url": "postgresql+psycopg2://u@db.example/app"}))
    assert url.port == 5432


def test_the_catalog_is_refused_by_every_address_of_this_machine():
    """A catalog listening on every interface is reached through each of this
    machine's addresses, not only loopback; and a catalog named by one of them
    through loopback (found by review: eth0's address was allowed)."""
    import psutil

    own = sorted(
        a.address
        for addresses in psutil.net_if_addrs().values()
        for a in addresses
        if a.family.name in ("AF_INET", "AF_INET6") and "%" not in a.address
    )
    external = [a for a in own if not a.startswith(("127.", "::1"))]
    strict = {"allow_catalog_server_targets": False}
    on_loopback = Policy.from_settings(Settings(catalog_url="postgresql://p@127.0.0.1:5432/metacrawl", **strict))
    for address in external:
        with pytest.raises(AddressRefused, match="catalog"):
            check_registration(address, 5432, "metacrawl", on_loopback)
    if external:
        named = Settings(catalog_url=f"postgresql://p@{external[0]}:5432/metacrawl", **strict)
        for loop in ("127.0.0.1", "::1", "localhost"):
            with pytest.raises(AddressRefused, match="catalog"):
                check_registration(loop, 5432, "other", Policy.from_settings(named))
