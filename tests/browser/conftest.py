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
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]
            if v["impact"] in ("critical", "serious")
        ]

    return _check


def login(page, live_server, username: str, password: str = "demo") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
