"""Webhook subscriptions through the API and the web UI (no worker: the
deliveries are in tests/test_webhook_delivery.py): who may, what is refused
(each field, the egress policy), the secret shown once and never again, the
delivery log; the signature and the Slack body as pure functions."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from catalog.webhooks import signing
from catalog.webhooks.outbox import glob_to_like
from catalog.webhooks.slack import slack_body

from .crawl_helpers import catalog_rows, source_body
from .ui_helpers import error_of, register
from .webhook_helpers import subscribe

HOOK = "https://hooks.example.com/metacrawl?token=abc"


def _source(user, **overrides) -> int:
    r = user.post("/api/v1/sources", json=source_body(**overrides))
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"]


def _team_with(alice, bob, role: str) -> int:
    """A team of alice's with bob in it as `role`: its source's id."""
    team = alice.post("/api/v1/teams", json={"name": "data"}).get_json()["id"]
    r = alice.post(f"/api/v1/teams/{team}/members", json={"email": bob.email, "role": role})
    assert r.status_code in (200, 201), r.get_json()
    return _source(alice, team_id=team)


def test_an_admin_subscribes_and_the_secret_is_shown_once(alice, catalog_url, settings):
    sid = _source(alice)
    created = subscribe(alice, sid, HOOK, events=["schema_change", "crawl_failed"], hazards=["breaking"])
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert created["url"] == HOOK and created["format"] == "json" and created["enabled"] is True
    assert created["deliveries_url"] == f"/api/v1/sources/{sid}/webhooks/{created['id']}/deliveries"
    wid = created["id"]
    answers = [
        alice.get(f"/api/v1/sources/{sid}/webhooks"),
        alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}"),
        alice.patch(f"/api/v1/sources/{sid}/webhooks/{wid}", json={"object_glob": "sales.*", "format": "slack"}),
        alice.post(f"/api/v1/sources/{sid}/webhooks/{wid}/test"),
        alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}/deliveries"),
    ]
    for r in answers:
        assert r.status_code in (200, 202), r.get_json()
        assert secret not in r.get_data(as_text=True) and "secret" not in r.get_json()
    assert answers[2].get_json()["object_glob"] == "sales.*" and answers[2].get_json()["format"] == "slack"
    # encrypted at rest with the vault, like a source's credentials
    [(stored,)] = catalog_rows(catalog_url, "SELECT secret FROM webhook_subscriptions WHERE id = %s", (wid,))
    from catalog.vault import Vault

    assert secret not in stored and Vault(settings.fernet_keys).decrypt(stored.encode()) == secret
    rotated = alice.post(f"/api/v1/sources/{sid}/webhooks/{wid}/rotate-secret").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret


def test_a_test_event_is_queued_and_the_log_pages(alice):
    sid = _source(alice)
    wid = subscribe(alice, sid, HOOK)["id"]
    ids = []
    for _ in range(3):
        r = alice.post(f"/api/v1/sources/{sid}/webhooks/{wid}/test")
        assert r.status_code == 202
        body = r.get_json()
        assert body["event"] == "test" and body["state"] == "pending" and body["attempts"] == 0
        ids.append(str(uuid.UUID(body["id"])))
    first = alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}/deliveries?limit=2")
    page = first.get_json()
    assert [d["id"] for d in page["deliveries"]] == ids[:0:-1] and 'rel="next"' in first.headers["Link"]
    rest = alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}/deliveries?limit=2&cursor={page['next_cursor']}")
    assert [d["id"] for d in rest.get_json()["deliveries"]] == ids[:1] and rest.get_json()["next_cursor"] is None
    assert alice.delete(f"/api/v1/sources/{sid}/webhooks/{wid}").status_code == 204
    assert alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}").status_code == 404
    assert alice.get(f"/api/v1/sources/{sid}/webhooks/{wid}/deliveries").status_code == 404


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"url": "ftp://hooks.example.com/x"}, "url", "https or http"),
        ({"url": "hooks.example.com/x"}, "url", "https or http"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "url", "password"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, "url", "metadata"),
        ({"url": "http://[fe80::1]/x"}, "url", "link-local"),
        ({"url": "http://metadata.google.internal/x"}, "url", "metadata"),
        ({"url": "http://2852039166/x"}, "url", "dotted quad"),
        ({"url": "https://hooks.example.com:99999/x"}, "url", "port"),
        ({"url": HOOK, "events": ["table_eaten"]}, "events", "one of"),
        ({"url": HOOK, "events": []}, "events", "Length"),
        ({"url": HOOK, "change_kinds": ["table_eaten"]}, "change_kinds", "one of"),
        ({"url": HOOK, "hazards": ["deadly"]}, "hazards", "one of"),
        ({"url": HOOK, "object_glob": ""}, "object_glob", "Length"),
        ({"url": HOOK, "object_glob": "a\nb"}, "object_glob", "control"),
        ({"url": HOOK, "format": "xml"}, "format", "one of"),
        ({"url": HOOK, "enabled": "maybe"}, "enabled", "boolean"),
        ({}, "url", "required"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(alice, body, field, words):
    sid = _source(alice)
    r = alice.post(f"/api/v1/sources/{sid}/webhooks", json=body)
    assert r.status_code == 422, r.get_json()
    errors = r.get_json()["errors"]["json"][field]
    assert words.lower() in json.dumps(errors).lower(), errors


def test_a_changed_url_is_checked_too_and_loopback_only_where_allowed(alice, app):
    sid = _source(alice)
    wid = subscribe(alice, sid, "http://127.0.0.1:9/hook")["id"]  # the test settings allow loopback
    r = alice.patch(f"/api/v1/sources/{sid}/webhooks/{wid}", json={"url": "http://169.254.169.254/"})
    assert r.status_code == 422 and "url" in r.get_json()["errors"]["json"]
    from dataclasses import replace

    app.config["METACRAWL"] = replace(app.config["METACRAWL"], webhook_allow_loopback=False)
    for url in ("http://localhost:9/hook", "http://127.0.0.1:9/hook", "http://[::1]:9/hook"):
        r = alice.post(f"/api/v1/sources/{sid}/webhooks", json={"url": url})
        assert r.status_code == 422 and "loopback" in r.get_json()["errors"]["json"]["url"][0], r.get_json()


def test_another_team_gets_404_and_a_viewer_403(alice, bob, carol):
    sid = _team_with(alice, bob, "viewer")
    wid = subscribe(alice, sid, HOOK)["id"]
    calls = [
        ("get", f"/api/v1/sources/{sid}/webhooks", None),
        ("post", f"/api/v1/sources/{sid}/webhooks", {"url": HOOK}),
        ("get", f"/api/v1/sources/{sid}/webhooks/{wid}", None),
        ("patch", f"/api/v1/sources/{sid}/webhooks/{wid}", {"enabled": False}),
        ("delete", f"/api/v1/sources/{sid}/webhooks/{wid}", None),
        ("post", f"/api/v1/sources/{sid}/webhooks/{wid}/rotate-secret", None),
        ("post", f"/api/v1/sources/{sid}/webhooks/{wid}/test", None),
        ("get", f"/api/v1/sources/{sid}/webhooks/{wid}/deliveries", None),
    ]
    for method, url, body in calls:
        kw = {"json": body} if body is not None else {}
        assert getattr(carol, method)(url, **kw).status_code == 404, (method, url)
        r = getattr(bob, method)(url, **kw)
        assert r.status_code == 403 and "admin" in r.get_json()["message"], (method, url)
    # a webhook of another source of yours is no webhook of this one
    other = _source(alice, name="other")
    assert alice.get(f"/api/v1/sources/{other}/webhooks/{wid}").status_code == 404


def test_the_ui_adds_a_webhook_shows_the_secret_once_and_sends_a_test(client):
    browser = register(client, "dana@example.com")
    sid = _source(browser.api)
    page = browser.get(f"/sources/{sid}/webhooks")
    assert page.status_code == 200 and "Add a webhook" in page.get_data(as_text=True)
    bad = browser.post(f"/sources/{sid}/webhooks", {"url": "http://169.254.169.254/", "events": "schema_change"})
    assert bad.status_code == 422 and "metadata" in error_of(bad.get_data(as_text=True), "url")
    made = browser.post(f"/sources/{sid}/webhooks", {"url": HOOK, "events": ["schema_change", "crawl_failed"]})
    assert made.status_code == 201
    [hook] = browser.api.get(f"/api/v1/sources/{sid}/webhooks").get_json()["webhooks"]
    html = made.get_data(as_text=True)
    secret = html.split('<code class="secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_") and hook["events"] == ["schema_change", "crawl_failed"]
    assert secret not in browser.get(f"/sources/{sid}/webhooks").get_data(as_text=True)
    sent = browser.post(f"/sources/{sid}/webhooks/{hook['id']}/test")
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"/webhooks/{hook['id']}?done=test-queued")
    log = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "A test event was queued." in log and "pending" in log and secret not in log
    gone = browser.post(f"/sources/{sid}/webhooks/{hook['id']}/delete")
    assert gone.status_code == 303 and browser.api.get(f"/api/v1/sources/{sid}/webhooks").get_json()["webhooks"] == []


def test_the_ui_pages_are_for_admins(client, alice):
    team = alice.post("/api/v1/teams", json={"name": "data"}).get_json()["id"]
    sid = _source(alice, team_id=team)
    browser = register(client, "erin@example.com")
    assert browser.get(f"/sources/{sid}/webhooks").status_code == 404
    alice.post(f"/api/v1/teams/{team}/members", json={"email": "erin@example.com", "role": "curator"})
    assert browser.get(f"/sources/{sid}/webhooks").status_code == 403


def test_the_signature_and_its_tolerance():
    body = b'{"id":"x"}'
    now = int(time.time())
    header = signing.signature("whsec_s", now, body)
    assert header.startswith(f"t={now},v1=") and signing.verify("whsec_s", header, body)
    assert not signing.verify("whsec_other", header, body)
    assert not signing.verify("whsec_s", header, body + b" ")
    assert not signing.verify("whsec_s", signing.signature("whsec_s", now - 301, body), body)


def test_the_slack_body_links_to_the_table_pages():
    payload = {
        "id": "d",
        "type": "schema_change",
        "source": {"id": 7, "name": "shop <prod>"},
        "crawl_id": 3,
        "data": {
            "changes": [
                {"event": "table_changed", "schema": "sales", "table": "orders", "hazard": "breaking"},
                {"event": "table_removed", "schema": "sales", "table": "old", "hazard": "breaking"},
            ],
            "total": 2,
            "truncated": False,
        },
    }
    body = slack_body(payload, "https://metacrawl.example.com/")
    assert body["text"] == "2 schema change(s) in shop &lt;prod&gt; (crawl 3)"
    lines = body["blocks"][1]["text"]["text"].splitlines()
    assert lines[0] == (
        "• table changed: <https://metacrawl.example.com/sources/7/table?schema=sales&name=orders|sales.orders> "
        "[breaking]"
    )
    assert lines[1] == "• table removed: sales.old [breaking]"
    assert body["blocks"][-1]["elements"][0]["text"] == "<https://metacrawl.example.com/sources/7|Open in metacrawl>"


def test_an_object_glob_is_a_like_pattern():
    assert glob_to_like("sales.ord*") == "sales.ord%"
    assert glob_to_like("a_b%?") == "a\\_b\\%_"


def test_webhook_settings_production_defaults_and_lease():
    from catalog.settings import ConfigError, from_env

    s = from_env(
        {
            "METACRAWL_ENV": "production",
            "METACRAWL_JWT_SECRET": "x" * 40,
            "METACRAWL_FERNET_KEYS": "ZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmRmZGZkZmQ=",
            "METACRAWL_FLOWER_PASSWORD": "flower-secret",
        }
    )
    assert not s.webhook_allow_loopback and not s.webhook_allow_private
    assert s.webhook_retry_seconds == 6 * 3600 and s.webhook_backoff_seconds == 10
    with pytest.raises(ConfigError, match="LEASE"):
        from_env({"METACRAWL_WEBHOOK_TIMEOUT": "60"})


def test_the_backoff_grows_threefold_to_an_hour():
    from catalog.webhooks.deliveries import backoff

    assert [backoff(n, 10) for n in (1, 2, 3, 4, 9)] == [10, 30, 90, 270, 3600]


def test_rotate_keys_reencrypts_webhook_secrets(alice, settings, catalog_url, redis_client):
    from dataclasses import replace

    from cryptography.fernet import Fernet

    from api import create_app
    from api.cli import main
    from catalog.vault import Vault

    secret = subscribe(alice, _source(alice), HOOK)["secret"]
    new_key = Fernet.generate_key().decode()
    rotated_app = create_app(replace(settings, fernet_keys=(new_key,) + settings.fernet_keys))
    result = rotated_app.test_cli_runner().invoke(main, ["rotate-keys"])
    assert result.exit_code == 0 and "and 1 webhook secret(s)" in result.output
    [(stored,)] = catalog_rows(catalog_url, "SELECT secret FROM webhook_subscriptions")
    assert Vault((new_key,)).decrypt(stored.encode()) == secret  # the old key is no longer needed


def test_a_delivery_connects_to_the_address_it_checked(monkeypatch):
    """The name is resolved once (here to loopback), every address checked,
    and the connection made to the checked address with the name as Host."""
    import socket

    from engines import netpolicy
    from engines.netpolicy import AddressRefused, Policy
    from engines.webhook_egress import post

    from .webhook_helpers import Receiver

    lookups = []

    def resolve(host, port, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(netpolicy.socket, "getaddrinfo", resolve)
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        url = f"http://hooks.invalid:{port}/hook"
        answer = post(url, b"{}", {"X-Test": "1"}, Policy(allow_loopback=True), 2)
        # the name looked up once; the connection then goes to the checked address, never the name
        assert answer.ok and answer.status == 200 and lookups == ["hooks.invalid", "127.0.0.1"]
        assert receiver.requests[0][0]["Host"] == f"hooks.invalid:{port}"
        with pytest.raises(AddressRefused, match="loopback"):
            post(url, b"{}", {}, Policy(allow_loopback=False), 2)
        assert len(receiver.requests) == 1
