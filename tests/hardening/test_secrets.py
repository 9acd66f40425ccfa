"""SECURITY-CHECKS row 16: keys come from the environment, never from the repository, and a
secret scan of the tracked files finds nothing. (There is no key vault: README documents
the gap.)"""

import re
import subprocess
from pathlib import Path

import pytest

from tests.certportal.test_settings import FIELD_KEY, PROD_KEY, run_python

ROOT = Path(__file__).resolve().parents[2]

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"),
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|github_pat_\w{60,}"),
    "Slack token": re.compile(r"\bxox[abpr]-[A-Za-z0-9-]{10,}"),
    "Django secret key": re.compile(r"SECRET_KEY\s*=\s*['\"](?!django-insecure)[^'\"]{30,}['\"]"),
    "password in a URL": re.compile(
        r"://[^/\s:@'\"]+:(?!password@|pw@|postgres@|\$\{)[^@\s'\"/]{6,}@"
    ),
}
# Deliberate, documented development-only values (refused when DEBUG is off).
ALLOWED = {
    "django-insecure-certportal-development-key-do-not-use-in-production",
    "Y2VydHBvcnRhbC1kZXZlbG9wbWVudC1vbmx5LWtleSE=",
}


def tracked_files() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in out.decode().split("\0") if name]


def test_secret_scan_of_the_repository_finds_nothing():
    findings = []
    for path in tracked_files():
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ico", ".woff2", ".gz"}:
            continue
        if path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(errors="ignore")
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(text):
                if not any(allowed in match.group(0) for allowed in ALLOWED):
                    findings.append(f"{path.relative_to(ROOT)}: {kind}: {match.group(0)[:40]}")
    assert findings == []


def test_scanner_catches_a_planted_secret():
    planted = "aws_key = 'AKIA" + "ABCDEFGHIJKLMNOP'"
    assert PATTERNS["AWS access key id"].search(planted)
    assert PATTERNS["private key"].search("-----BEGIN RSA " + "PRIVATE KEY-----")


def test_keys_come_from_the_environment():
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "portal.example.com"}
    result = run_python(
        "import django; django.setup(); from django.conf import settings as s; "
        f"print(s.SECRET_KEY == {PROD_KEY!r}, s.FIELD_ENCRYPTION_KEYS == [{FIELD_KEY!r}])",
        SECRET_KEY=PROD_KEY,
        FIELD_ENCRYPTION_KEYS=FIELD_KEY,
        **env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"
    # Without them production refuses to start rather than fall back to a built-in key.
    missing = run_python("import django; django.setup()", SECRET_KEY=PROD_KEY, **env)
    assert missing.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in missing.stderr


def test_env_example_holds_no_real_secrets():
    example = (ROOT / ".env.example").read_text()
    values = dict(
        line.split("=", 1)
        for line in example.splitlines()
        if "=" in line and not line.startswith("#")
    )
    for name in (
        "FIELD_ENCRYPTION_KEYS",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "POSTGRES_PASSWORD",
    ):
        assert values[name] == "", name
    assert values["SECRET_KEY"].startswith("change-me")
