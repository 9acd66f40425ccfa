"""Settings parse the environment; production refuses unsafe defaults."""

import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_KEY = "".join(
    secrets.choice(string.ascii_letters + string.digits + "!@#%^&*") for _ in range(50)
)
FIELD_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="


def run_python(code: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "FIELD_ENCRYPTION_KEYS",
            "AWS_STORAGE_BUCKET_NAME",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_value(expr: str, **env: str) -> str:
    result = run_python(
        f"import django; django.setup(); from django.conf import settings as s; print(repr(({expr})))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_database_url_defaults_to_sqlite_under_var():
    value = settings_value("s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME']")
    assert "sqlite3" in value
    assert "var/db.sqlite3" in value


def test_database_url_postgres_is_parsed():
    value = settings_value(
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], "
        "s.DATABASES['default']['NAME'], s.DATABASES['default']['CONN_MAX_AGE']",
        DATABASE_URL="postgres://app:pw@db.internal:5433/portal",
    )
    assert value == "('django.db.backends.postgresql', 'db.internal', 'portal', 60)"


def test_redis_url_absent_runs_tasks_in_process():
    value = settings_value(
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND']"
    )
    assert value.startswith("(True, 'memory://'")
    assert "LocMemCache" in value


def test_redis_url_present_configures_broker_backend_and_cache():
    value = settings_value(
        "s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, "
        "s.CACHES['default']['BACKEND']",
        REDIS_URL="redis://cache.internal:6380/2",
    )
    assert value == (
        "(False, 'redis://cache.internal:6380/2', 'redis://cache.internal:6380/2', "
        "'django_redis.cache.RedisCache')"
    )


def test_s3_bucket_switches_default_storage():
    value = settings_value(
        "s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['default_acl']",
        AWS_STORAGE_BUCKET_NAME="certportal-files",
    )
    assert value == "('storages.backends.s3.S3Storage', 'private')"


def test_local_storage_is_private_by_default():
    value = settings_value(
        "s.STORAGES['default']['BACKEND'], s.STORAGES['default']['OPTIONS']['base_url']"
    )
    assert value == "('django.core.files.storage.FileSystemStorage', None)"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DEBUG": "false", "ALLOWED_HOSTS": "x.example"}, "SECRET_KEY must be set"),
        (
            {
                "DEBUG": "false",
                "ALLOWED_HOSTS": "x.example",
                "SECRET_KEY": "django-insecure-certportal-development-key-do-not-use-in-production",
            },
            "development default",
        ),
        ({"DEBUG": "false", "SECRET_KEY": PROD_KEY}, "ALLOWED_HOSTS must be set"),
        (
            {"DEBUG": "false", "SECRET_KEY": PROD_KEY, "ALLOWED_HOSTS": "x.example"},
            "FIELD_ENCRYPTION_KEYS must be set",
        ),
    ],
)
def test_production_refuses_unsafe_configuration(overrides, message):
    result = run_python("import django; django.setup()", **overrides)
    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_is_clean_in_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{
                k: v
                for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
            },
            "DEBUG": "false",
            "SECRET_KEY": PROD_KEY,
            "ALLOWED_HOSTS": "portal.example.com",
            "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_use_host_prefix_and_are_secure():
    value = settings_value(
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE",
        DEBUG="false",
        SECRET_KEY=PROD_KEY,
        ALLOWED_HOSTS="portal.example.com",
        FIELD_ENCRYPTION_KEYS=FIELD_KEY,
    )
    assert value == "('__Host-sessionid', '__Host-csrftoken', True, True, 'Lax')"


def test_passwords_are_hashed_with_argon2():
    value = settings_value("s.PASSWORD_HASHERS[0]")
    assert value == "'django.contrib.auth.hashers.Argon2PasswordHasher'"


def test_back_office_hides_authenticator_secrets(admin_client):
    from django.contrib.auth.models import User
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=User.objects.get(username="admin"), name="phone")
    response = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert response.status_code == 200
    assert device.key not in response.content.decode()
