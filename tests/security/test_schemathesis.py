"""Schemathesis against ``/api/v1/openapi.json`` of the running application.

Every operation, as anonymous, participant and organiser, with every check
Schemathesis has: no server errors, every response in its documented schema and
content type, no undocumented status code, invalid data refused, valid data
accepted, auth not ignored. The example count is bounded so the whole file runs
in about a minute; ``FORUMLIVE_FUZZ_EXAMPLES`` raises it for a longer hunt.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from server.settings import Settings
from tests.security.liveserver import Api, fresh_database, make_accounts, programme, running

EXAMPLES = int(os.environ.get("FORUMLIVE_FUZZ_EXAMPLES", "4"))

ALL_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
    checks.missing_required_header,
    checks.unsupported_method,
    checks.ignored_auth,
    checks.use_after_free,
    checks.ensure_resource_availability,
]

# Operations that would end the fuzzing identity itself; tests/security/test_privacy.py and
# tests/api cover them. Everything else runs with every role.
SELF_ENDING = {
    ("DELETE", "/api/v1/me"),  # erases the account whose token the fuzzer holds
    ("POST", "/api/v1/auth/logout"),  # revokes that token
    ("PATCH", "/api/v1/users/{id}"),  # could demote the fuzzing organiser
}


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, migrated_database: str
) -> Iterator[dict[str, Any]]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    database_url = fresh_database(migrated_database, tmp)
    tag = uuid.uuid4().hex[:6]
    emails = {f"org-{tag}@example.org": "organiser", f"ann-{tag}@example.org": "participant"}
    make_accounts(database_url, emails)
    settings_ = Settings(
        data_dir=tmp,
        database_url=database_url,
        public_url="http://127.0.0.1:8080",
        auto_migrate=False,
        # The fuzzer is one client hammering from one address: limits would answer 429 to
        # most of its cases and hide the handlers behind them. 429 stays documented.
        login_max_failures=10_000,
        register_max_per_ip=10_000,
        join_rate_per_minute=10_000,
    )
    with running(settings_) as (url, _app, _loop):
        api = Api(url)
        organiser, participant = (api.login(e) for e in emails)
        programme(api, organiser["token"])
        yield {
            "url": url,
            "tokens": {
                "anonymous": None,
                "participant": participant["token"],
                "organiser": organiser["token"],
            },
        }


# Schema-valid data the API still refuses, by design: 422 for what no JSON schema can say
# (an id that names no row, an unknown time zone or country, an end before its start, a
# file with problems), 409 for conflicts, 429 for limits. Anything else fails the check.
CONFIG = SchemathesisConfig.from_str(
    """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
"""
)


@pytest.fixture(scope="module")
def api_schema(live: dict[str, Any]) -> Any:
    return schemathesis.openapi.from_url(live["url"] + "/api/v1/openapi.json", config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def check(case: Case, role: str, live: dict[str, Any]) -> None:
    if (case.method.upper(), case.path) in SELF_ENDING and role != "anonymous":
        return
    token = live["tokens"][role]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # A generated Authorization header would replace the role's own: keep the role's.
    if case.headers and token:
        case.headers.pop("Authorization", None)
    case.call_and_validate(headers=headers, checks=ALL_CHECKS)


@schema.parametrize()
@FUZZ
def test_anonymous(case: Case, live: dict[str, Any]) -> None:
    check(case, "anonymous", live)


@schema.parametrize()
@FUZZ
def test_participant(case: Case, live: dict[str, Any]) -> None:
    check(case, "participant", live)


@schema.parametrize()
@FUZZ
def test_organiser(case: Case, live: dict[str, Any]) -> None:
    check(case, "organiser", live)
