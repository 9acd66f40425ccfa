"""No Docker engine here: validate docker-compose.yml as data."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DJANGO_SERVICES = ("web", "worker", "beat")


def test_every_expected_service_is_defined():
    assert {"postgres", "redis", "minio", "web", "worker", "beat"} <= set(SERVICES)


def test_every_service_has_an_image_or_build():
    for name, service in SERVICES.items():
        assert service.get("image") or service.get("build"), name


def test_long_running_services_have_health_checks():
    for name in ("postgres", "redis", "minio", *DJANGO_SERVICES):
        check = SERVICES[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"


def test_django_services_share_one_anchor_and_environment():
    envs = [SERVICES[name]["environment"] for name in DJANGO_SERVICES]
    assert all(env == envs[0] for env in envs)
    env = envs[0]
    for key in (
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "AWS_STORAGE_BUCKET_NAME",
    ):
        assert key in env
    assert env["DEBUG"] == "false"
    assert (
        env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    )
    assert env["REDIS_URL"].startswith("redis://redis:6379")
    assert env["AWS_S3_ENDPOINT_URL"] == "http://minio:9000"


def test_django_services_wait_for_healthy_dependencies():
    for name in DJANGO_SERVICES:
        depends = SERVICES[name]["depends_on"]
        for dep in ("postgres", "redis", "minio"):
            assert depends[dep]["condition"] == "service_healthy", (name, dep)


def test_commands_run_what_each_service_is_for():
    web = " ".join(SERVICES["web"]["command"])
    assert "migrate" in web and "collectstatic" in web and "gunicorn config.wsgi" in web
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]


def test_no_secret_values_are_committed():
    env = SERVICES["web"]["environment"]
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert env["FIELD_ENCRYPTION_KEYS"].startswith("${FIELD_ENCRYPTION_KEYS:?")


def test_volumes_are_declared():
    declared = set(COMPOSE["volumes"])
    for service in SERVICES.values():
        for volume in service.get("volumes", []):
            name = volume.split(":", 1)[0]
            if not name.startswith((".", "/")):
                assert name in declared


def test_image_ships_every_app_and_no_devtools():
    """The image installs the packages pyproject.toml ships and leaves devtools/ and
    tests/ out (.dockerignore), so production has no demo or benchmark code."""
    import tomllib

    dockerfile = (ROOT / "Dockerfile").read_text()
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    for package in (pattern.rstrip("*") for pattern in shipped):
        assert f"COPY {package} {package}" in dockerfile, package
    assert "devtools*" not in shipped
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"devtools", "tests", ".env", ".git"} <= set(ignored)


def test_long_running_services_are_restarted_when_they_exit():
    """Issue 20: nothing may depend on one process staying up. A worker or beat that dies
    (a crash, an OOM kill) is started again by the engine; only the one-shot bucket job
    is not."""
    for name in ("postgres", "redis", "minio", *DJANGO_SERVICES):
        assert SERVICES[name].get("restart") in ("always", "unless-stopped"), name
    assert SERVICES["createbucket"]["restart"] == "no"


def test_web_health_check_leaves_the_workers_to_monitoring():
    # /healthz/ answers 503 while the workers' heartbeat is stale; the web container's own
    # check asks only whether it can serve pages, so a dead worker never marks web down.
    web = " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "/healthz/?scope=web" in web
    worker = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert "inspect ping" in worker and "--timeout" in worker
