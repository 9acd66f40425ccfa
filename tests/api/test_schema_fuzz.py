"""Schemathesis against the generated OpenAPI schema on the live test server, with an
organisation token of partner A: for every operation, generated requests (with A's real
ids in the path) answer with no 5xx, only documented statuses and content types, and
bodies that match the schema; the same requests with partner B's ids never succeed and no
response ever contains partner B's canary text.

Kept small (one or two derandomized examples per operation and pass) to stay within the suite's
time budget; the schema is fetched from the server, as a client would."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from certifications import services as cert_services
from certifications.models import Certificate, TestEnvironment
from reviews.models import Finding
from tests.api.conftest import make_token
from tests.factories import IntegrationFactory, draft_request, member, qualify

CANARY_B = "CANARY-B-7f3c"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation (with A's ids where it takes ids); B's ids get one each.
EXAMPLES = 2


def _world(partner, other_partner, manager, reviewer):
    """Partner A with a draft, test access, a request in review with a finding and a
    certificate; partner B with the same kinds of rows, all carrying B's canary."""
    admin = member(partner, "admin", "fuzz-admin-a")
    qualify(partner, manager=manager)
    integration = IntegrationFactory(partner=partner, name="Fuzz A", github_repo="acme/fuzz")
    draft = draft_request(integration, actor=admin, version="1.0")
    env = cert_services.environment_save(
        request=draft,
        actor=admin,
        kind="kmc",
        url="https://kmc.a.example",
        username="u",
        password="p",
    )
    in_review = draft_request(integration, actor=admin, version="2.0")
    cert_services.request_submit(request=in_review, actor=admin)
    in_review = cert_services.request_assign(request=in_review, reviewer=reviewer, actor=reviewer)
    in_review = cert_services.request_transition(
        request=in_review, name="intake_ok", actor=reviewer
    )
    finding = Finding.objects.create(
        request=in_review,
        stage="user_testing",
        category="functional",
        severity="minor",
        title="A's finding",
        reviewer_note="note",
    )
    certificate = Certificate.objects.create(
        request=in_review,
        version="2.0",
        commit_sha="a" * 40,
        issued_at=timezone.now(),
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    admin_b = member(other_partner, "admin", "fuzz-admin-b")
    integration_b = IntegrationFactory(
        partner=other_partner, name=f"B {CANARY_B}", github_repo="globex/x", description=CANARY_B
    )
    req_b = cert_services.request_create(integration=integration_b, actor=admin_b, version="9.9")
    cert_services.request_update_draft(request=req_b, actor=admin_b, change_summary=CANARY_B)
    env_b = TestEnvironment.objects.create(
        request=req_b, kind="kmc", url="https://kmc.b.example", username=CANARY_B, password="x"
    )
    finding_b = Finding.objects.create(
        request=req_b,
        stage="intake",
        category="functional",
        severity="minor",
        title=CANARY_B,
        reviewer_note=CANARY_B,
    )
    cert_b = Certificate.objects.create(
        request=req_b,
        version="9.9",
        commit_sha="b" * 40,
        issued_at=timezone.now(),
        valid_until=timezone.localdate() + dt.timedelta(days=30),
    )
    ids_a = {
        "request_id": draft.pk,
        "integration_id": integration.pk,
        "environment_id": env.pk,
        "finding_id": finding.pk,
        "certificate_id": certificate.pk,
    }
    ids_b = {
        "request_id": req_b.pk,
        "integration_id": integration_b.pk,
        "environment_id": env_b.pk,
        "finding_id": finding_b.pk,
        "certificate_id": cert_b.pk,
    }
    return admin, ids_a, ids_b


@pytest.mark.slow(seconds=9)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_schema_fuzz_with_one_organisations_token(
    live_server, settings, partner, other_partner, manager, reviewer
):
    settings.API_RATE_LIMIT_PER_MINUTE = 0  # hundreds of calls in a few seconds
    admin, ids_a, ids_b = _world(partner, other_partner, manager, reviewer)
    _, raw = make_token(admin, partner.pk, "write")
    headers = {"Authorization": f"Bearer {raw}"}
    base = live_server.url
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    tried = 0
    for operation in operations:
        names = {p.name for p in operation.path_parameters}

        def run(path_parameters, *, foreign: bool, examples: int, operation=operation) -> None:
            @given(case=operation.as_strategy(path_parameters=path_parameters))
            @hsettings(
                max_examples=examples,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case):
                nonlocal tried
                tried += 1
                if foreign:
                    response = case.call(base_url=base, headers=headers, session=session)
                    assert response.status_code >= 400, (case.method, case.formatted_path)
                else:
                    response = case.call_and_validate(
                        base_url=base, headers=headers, session=session, checks=CHECKS
                    )
                assert CANARY_B not in response.text, (case.method, case.formatted_path)

            check()

        if names:
            run({n: ids_a[n] for n in names}, foreign=False, examples=EXAMPLES)
            run({n: ids_b[n] for n in names}, foreign=True, examples=1)
        else:
            run(None, foreign=False, examples=EXAMPLES)
    session.close()
    assert tried > 60
