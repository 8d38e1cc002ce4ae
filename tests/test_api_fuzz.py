"""Schemathesis against the app's own OpenAPI document: every operation (but
logout, which would revoke the tokens the run uses) gets a bounded number of
generated requests, valid and invalid, sent as alice, as bob (who owns none
of alice's sources) or with whatever token was generated. Every answer must
be a non-5xx that matches the document (`not_a_server_error`,
`response_schema_conformance`)."""

from __future__ import annotations

import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from .conftest import ApiUser
from .crawl_helpers import source_body

# Examples per operation and generation mode (positive, negative).
EXAMPLES = int(os.environ.get("METACRAWL_FUZZ_EXAMPLES", "20"))
CHECKS = [not_a_server_error, response_schema_conformance]


def test_every_operation_answers_4xx_or_2xx_as_documented(idle_app):
    client = idle_app.test_client()
    alice = ApiUser(client, "alice@example.com")
    bob = ApiUser(client, "bob@example.com")
    created = [alice.post("/api/v1/sources", json=source_body(name=f"s{i}")).get_json() for i in range(2)]
    created.append(bob.post("/api/v1/sources", json=source_body(name="b")).get_json())
    ids = {"source_id": [s["id"] for s in created], "job_id": [s["crawl"]["id"] for s in created]}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", idle_app).exclude(path="/api/v1/auth/logout")
    tokens = {"alice": alice.access, "bob": bob.access, "refresh": alice.refresh, "generated": None}
    stats: Counter = Counter()
    failures: list[str] = []

    def fuzz(operation, mode) -> None:
        @given(
            case=operation.as_strategy(generation_mode=mode),
            who=st.sampled_from(sorted(tokens)),
            pick=st.integers(min_value=0, max_value=3),
        )
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case, who, pick):
            for name, known in ids.items():  # often aim at ids that exist (alice's, bob's)
                if case.path_parameters and name in case.path_parameters and pick < len(known):
                    case.path_parameters[name] = known[pick]
            if tokens[who] is not None:
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[who]}"}
            stats["cases"] += 1
            response = case.call()
            stats[f"status {response.status_code // 100}xx"] += 1
            try:
                case.validate_response(response, checks=CHECKS)
            except FailureGroup as group:
                for failure in group.exceptions:
                    stats["server errors" if response.status_code >= 500 else "schema violations"] += 1
                    failures.append(
                        f"{operation.label} [{mode}] {response.status_code}: {failure.title}\n"
                        f"{failure.message[:500]}\n{case.as_curl_command()}"
                    )

        run()

    for result in schema.get_all_operations():
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzz(result.ok(), mode)

    print("\nschemathesis:", dict(sorted(stats.items())))
    assert stats["cases"] > 0
    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:20])
