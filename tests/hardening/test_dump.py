"""SECURITY-CHECKS row 14: a raw dump of every table holds no plaintext test-site password
(tests/certifications/test_crypto.py covers the tampered-ciphertext half)."""

import pytest
from django.db import connection

from certifications import services as cert_services
from tests.factories import draft_request

pytestmark = pytest.mark.django_db

PLAINTEXT = "Pl4intext-Sentinel-7731"


def dump_all_tables() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names come from the database itself
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_raw_dump_contains_no_plaintext_credentials(
    module_integration, partner_admin, eligible_partner
):
    request = draft_request(module_integration, actor=partner_admin)
    environment = request.environments.first()
    cert_services.environment_save(
        request=request,
        actor=partner_admin,
        environment=environment,
        kind=environment.kind,
        url=environment.url,
        username=environment.username,
        password=PLAINTEXT,
    )
    environment.refresh_from_db()
    assert environment.password.reveal() == PLAINTEXT
    dump = dump_all_tables()
    assert "certifications_testenvironment" in connection.introspection.table_names()
    assert environment.username in dump  # the dump really covers the table
    assert PLAINTEXT not in dump
    assert "secret-" not in dump  # the factories' passwords
