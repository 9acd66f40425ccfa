import os

import pytest
from django.conf import settings
from django.db import connection


def require_service(name: str, available: bool, why: str) -> None:
    """Skip a test that needs a service, or fail it when CI says services must be there."""
    if available:
        return
    message = f"{name} is not available: {why}"
    if settings.REQUIRE_SERVICES or os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {message}")
    pytest.skip(message)


@pytest.fixture
def require_postgres():
    require_service(
        "PostgreSQL",
        connection.vendor == "postgresql",
        "set DATABASE_URL=postgres://... to run this test",
    )


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return [
        f"certportal: database engine {db['ENGINE']} ({db.get('HOST') or db.get('NAME')})",
        f"certportal: redis {'configured' if settings.REDIS_URL else 'not configured'}",
    ]
