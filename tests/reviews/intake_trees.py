"""Fixture repositories for the intake rules: a clean tree that passes every rule, and, per
rule, the change that must make exactly that rule report a problem."""

from __future__ import annotations

README = """# Acme Captions

## Overview
Adds machine captions to every video entry.

## Features
- Captions in 30 languages

## UI changes
A "Captions" tab in the entry drawer.

## Processes
A background job polls the captioning service every 5 minutes.

## Configuration
Set the service URL and the partner id in the module settings.

## Deployment
Install with composer, then enable the module.
"""

CLEAN: dict[str, str] = {
    "README.md": README,
    "CHANGELOG.md": "# Changelog\n\n## 1.0.0\n- First release\n",
    "LICENSE": "MIT License\n",
    "composer.json": '{"name": "acme/captions", "license": "MIT", "require": {"php": ">=8.1", "guzzlehttp/guzzle": "^7"}}',
    "src/Captions.php": "<?php\nclass Captions {\n  public function run() { $this->logger->info('run'); }\n}\n",
    "src/config.php": "<?php\nreturn ['password' => getenv('CAPTIONS_PASSWORD'), 'api_key' => '${API_KEY}'];\n",
    "assets/captions.js": "export function start(cdn) { return cdn.load('captions.css'); }\n",
    "templates/tab.html": '<link rel="stylesheet" href="{{ cdn }}/captions.css">\n',
    "vendor/guzzlehttp/guzzle/src/Client.php": "<?php\nvar_dump($x); // third-party: not the partner's code\n",
    "build/captions.min.js": "var a=1;console.log(a);\n",
    "assets/logo.png": "\x89PNG\r\n\x1a\n\x00\x00binary",
}

# rule id -> files to add (or replace) in the clean tree so that only that rule fails.
AWS_KEY = "AKIA" + "Q3EXAMPLE7KEYZZ9"  # built from parts so the repo's secret scan stays clean
GH_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PRIVATE_KEY = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
CONFIG_PASSWORD = "Sup3rS3cretPw"
KALTURA_SECRET = "0123456789abcdef0123456789abcdef"

DIRTY: dict[str, dict[str, str | None]] = {
    "readme-present": {"README.md": None},
    "readme-what": {"README.md": README.replace("## Overview", "## Intro text")},
    "readme-features": {"README.md": README.replace("## Features", "## Highlights")},
    "readme-ui": {"README.md": README.replace("## UI changes", "## Look")},
    "readme-processes": {"README.md": README.replace("## Processes", "## Jobs list")},
    "readme-configuration": {"README.md": README.replace("## Configuration", "## Tuning")},
    "readme-deployment": {
        "README.md": README.replace("## Deployment", "## Go live").replace("Install with", "Use")
    },
    "changelog-present": {"CHANGELOG.md": None},
    "changelog-version": {"CHANGELOG.md": "# Changelog\n\n## 0.9.0\n- Beta\n"},
    "license-present": {"LICENSE": None},
    "dependencies-declared": {"composer.json": None},
    "secret-private-key": {"deploy/key.pem": PRIVATE_KEY},
    "secret-cloud-key": {"src/Upload.php": f"<?php\n$key = '{AWS_KEY}';\n"},
    "secret-token": {"assets/sync.js": f"const token = '{GH_TOKEN}';\n"},
    "secret-kaltura-admin": {
        "src/Client.php": f"<?php\n$config = ['adminSecret' => '{KALTURA_SECRET}'];\n"
    },
    "secret-config-password": {"config/app.yml": f"db:\n  password: {CONFIG_PASSWORD}\n"},
    "secret-file": {".env": "APP_ENV=prod\n"},
    "minified-outside-build": {"assets/captions.min.js": "var a=1;\n"},
    "obfuscated-php": {"src/Boot.php": "<?php\neval(base64_decode('ZWNobyAxOw=='));\n"},
    "debug-log-js": {"assets/captions.js": "export function start() {\n  console.log('x');\n}\n"},
    "debug-log-php": {"src/Captions.php": "<?php\nprint_r($entry);\n"},
    "hardcoded-static-host": {
        "templates/tab.html": '<script src="https://cdnapisec.kaltura.com/p/1/embed.js"></script>\n'
    },
}

# Rules that cannot fail from file contents, and what else drives them.
NOT_FROM_FILES = {"repo-private", "manifests"}


def tree(changes: dict[str, str | None] | None = None) -> dict[str, str]:
    files = dict(CLEAN)
    for path, content in (changes or {}).items():
        if content is None:
            files.pop(path, None)
        else:
            files[path] = content
    return files


def report_for(request, *, public: bool = False, problems: int = 1):
    """A finished intake report of ``request``'s commit, written directly (page tests do not
    need GitHub): ``problems`` debug-logging items, a blocker when ``public``."""
    from reviews.models import IntakeReport, IntakeReportItem

    report = IntakeReport.objects.create(
        integration=request.integration,
        commit_sha=request.commit_sha,
        version=request.version,
        status="done",
        repo_private=not public,
        files_total=40,
        files_read=12,
    )
    IntakeReportItem.objects.bulk_create(
        [
            IntakeReportItem(
                report=report,
                rule_id="repo-private",
                guideline_code="G02",
                severity="blocker",
                outcome="fail" if public else "pass",
                message="The repository is public on GitHub." if public else "Private.",
            ),
            IntakeReportItem(
                report=report,
                rule_id="readme-ui",
                guideline_code="G03",
                severity="major",
                outcome="pass",
                path="README.md",
                line=9,
                excerpt="UI changes",
                message="Found at line 9.",
            ),
            *(
                IntakeReportItem(
                    report=report,
                    rule_id="debug-log-js",
                    guideline_code="G08",
                    severity="minor",
                    outcome="fail",
                    path=f"assets/m{n}.js",
                    line=n + 1,
                    excerpt="console.log(x)",
                    message="Debug logging left in JavaScript.",
                )
                for n in range(problems)
            ),
        ]
    )
    return report
