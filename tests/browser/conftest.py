"""Browser tests: pytest-playwright driving Debian's chromium against Django's live server.

Without chromium the tests skip with a reason, except under REQUIRE_SERVICES=1 (CI), where
.ci/run installs it and a missing browser is a failure."""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import require_service

# Playwright runs an event loop in this thread; the ORM calls beside `page` are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).with_name("axe.min.js")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require_service("chromium", Path(CHROMIUM).exists(), "install Debian's chromium package")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def shoot():
    """Save a numbered screenshot of the current page into test-artifacts/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def _shoot(page, name: str) -> Path:
        counter["n"] += 1
        path = SCREENSHOTS / f"{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


@pytest.fixture
def axe_check():
    """Inject axe-core (from the npm registry, vendored for tests) and return the critical
    and serious violations on the current page."""

    def _check(page) -> list[dict]:
        # The CSP allows same-origin scripts only: serve axe from the page's own origin
        # (intercepted, never reaching Django) instead of injecting it inline.
        origin = "/".join(page.url.split("/")[:3])
        page.route(
            f"{origin}/__axe__.js",
            lambda route: route.fulfill(path=str(AXE), content_type="application/javascript"),
        )
        page.add_script_tag(url=f"{origin}/__axe__.js")
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("critical", "serious")
        ]

    return _check


def otp_code(username: str) -> str:
    """The current TOTP code of the user's newest authenticator (the one being set up, or
    the confirmed one). Test-only: forgets the last used time step so that two logins in
    the same 30 seconds both work."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username).order_by("-pk").first()
    assert device is not None, f"{username} has no authenticator"
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


@pytest.fixture
def staff_authenticators(db):
    """A confirmed authenticator for every staff user, so login() takes the code step."""

    def _create(*usernames: str) -> None:
        from django.contrib.auth import get_user_model
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for user in get_user_model().objects.filter(username__in=usernames):
            TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "journey phone"}
            )

    return _create


def login(page, live_server, username: str, password: str = "demo") -> None:
    """Sign in through the form; staff (and opted-in users) then enter a TOTP code, or set
    up an authenticator first when they have none."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    if "/accounts/otp/" in page.url:
        page.fill("#id_otp_token", otp_code(username))
        page.click("main button[type=submit]")  # not the header's "Sign out"
        page.wait_for_load_state("networkidle")
        assert "/accounts/otp/" not in page.url, page.content()[:2000]
