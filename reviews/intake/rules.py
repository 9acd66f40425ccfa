"""The intake rules: one table, each row a small check of a repository at one commit,
mapped to the program guideline it enforces (see docs/partner-guide.md, "Automated intake
checks").

A rule is data. ``kind`` names one of the few matchers in ``reviews.intake.engine``; the
other fields parameterise it, so a new check of an existing kind is a new row, not new
code. Kinds:

* ``repository_private`` — the repository must be private (a public one is a blocker);
* ``file_present`` — some path matches ``paths``;
* ``readme_section`` — the README has a heading (or a paragraph opening with the words)
  matching ``pattern``;
* ``changelog_version`` — the changelog mentions the request's version;
* ``manifests`` — lists the package manifests found and the licences they declare;
* ``folder_needs_file`` — a folder matching ``paths`` (bundled third-party code) exists
  only together with a file matching ``needs`` (a manifest);
* ``path_match`` — every path matching ``paths`` (and not ``exclude``) is reported;
* ``content_match`` — every line matching ``pattern`` in the files matching ``paths`` (and
  not ``exclude``) is reported; with ``secret`` the matched value is masked and hashed,
  never stored.

Paths are matched case-insensitively against the path from the repository root.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Severity of what a rule reports: a blocker stops intake unless a reviewer overrides it.
BLOCKER, MAJOR, MINOR, INFO = "blocker", "major", "minor", "info"
SEVERITIES = (BLOCKER, MAJOR, MINOR, INFO)

# Folders that hold third-party or generated code: the partner's own code rules skip them.
_NOT_OWN_CODE = r"(^|/)(vendor|node_modules|bower_components|third[-_]?party|build|dist|\.git)/"
_SOURCE = r"\.(php|phtml|inc|js|mjs|cjs|jsx|ts|tsx|vue|py|rb|java|kt|go|cs|sh)$"
_CONFIG = (
    r"(^|/)(\.env(\.[\w.-]+)?|[^/]*\.(ini|conf|cfg|properties|ya?ml|json|xml|toml|neon)"
    r"|[^/]*config[^/]*\.php|settings[^/]*\.py)$"
)
_TEXT = rf"({_SOURCE})|({_CONFIG})|\.(html?|twig|tpl|css|scss|less|pem|key|txt)$"
_TEMPLATES = r"\.(php|phtml|js|jsx|ts|tsx|vue|html?|twig|tpl|css|scss|less)$"


@dataclass(frozen=True)
class Rule:
    id: str
    guideline: str  # a code of the guideline catalogue (certifications.Guideline)
    severity: str
    category: str  # reviews.enums.FindingCategory, used when a reviewer records a finding
    title: str
    kind: str
    fix: str  # what the partner does about it (shown with each item)
    paths: str = ""
    exclude: str = ""
    pattern: str = ""
    needs: str = ""
    secret: bool = False
    # content_match: matches whose value matches this are placeholders, not findings.
    ignore: str = ""

    def path_re(self) -> re.Pattern[str] | None:
        return re.compile(self.paths, re.IGNORECASE) if self.paths else None

    def exclude_re(self) -> re.Pattern[str] | None:
        return re.compile(self.exclude, re.IGNORECASE) if self.exclude else None


README = r"^readme(\.(md|markdown|rst|txt|adoc))?$"
CHANGELOG = (
    r"^(docs?/)?(changelog|changes|history|release[-_ ]?notes|news)(\.(md|markdown|rst|txt))?$"
)

RULES: tuple[Rule, ...] = (
    Rule(
        "repo-private",
        "G02",
        BLOCKER,
        "security",
        "Repository is private",
        "repository_private",
        fix="Make the repository private on GitHub (Settings → General → Danger zone → "
        "Change visibility). The program reviews private repositories only.",
    ),
    Rule(
        "readme-present",
        "G03",
        MAJOR,
        "documentation",
        "README present",
        "file_present",
        paths=README,
        fix="Add a README.md at the repository root.",
    ),
    Rule(
        "readme-what",
        "G03",
        MAJOR,
        "documentation",
        "README says what the integration does",
        "readme_section",
        pattern=r"overview|about|description|introduction|what (it|this|the \w+) does|summary",
        fix="Add a section such as '## Overview' saying what the integration does.",
    ),
    Rule(
        "readme-features",
        "G03",
        MAJOR,
        "documentation",
        "README lists the features",
        "readme_section",
        pattern=r"features?|capabilities|functionality",
        fix="Add a '## Features' section listing what the integration offers.",
    ),
    Rule(
        "readme-ui",
        "G03",
        MAJOR,
        "documentation",
        "README names the UI items it changes",
        "readme_section",
        pattern=r"\bui\b|user interface|screens?|ui (items|elements|changes)|interface changes",
        fix="Add a '## UI changes' section naming every screen, menu or button it adds or changes.",
    ),
    Rule(
        "readme-processes",
        "G03",
        MAJOR,
        "documentation",
        "README describes the processes it adds",
        "readme_section",
        pattern=r"process(es)?|background (jobs|tasks)|cron|workers?|scheduled",
        fix="Add a '## Processes' section describing background jobs, scheduled tasks or "
        "services it runs (say 'None' if there are none).",
    ),
    Rule(
        "readme-configuration",
        "G03",
        MAJOR,
        "documentation",
        "README covers the configuration",
        "readme_section",
        pattern=r"configur(e|ation)|settings|options",
        fix="Add a '## Configuration' section listing every setting and its default.",
    ),
    Rule(
        "readme-deployment",
        "G13",
        MAJOR,
        "documentation",
        "README covers the deployment",
        "readme_section",
        pattern=r"deploy(ment|ing)?|install(ation|ing)?|setup|set up",
        fix="Add a '## Deployment' section with the installation steps and critical setup notes.",
    ),
    Rule(
        "changelog-present",
        "G12",
        MINOR,
        "documentation",
        "CHANGELOG present",
        "file_present",
        paths=CHANGELOG,
        fix="Add a CHANGELOG.md (or RELEASE_NOTES.md) at the root describing each version.",
    ),
    Rule(
        "changelog-version",
        "G12",
        MINOR,
        "documentation",
        "CHANGELOG mentions this version",
        "changelog_version",
        paths=CHANGELOG,
        fix="Add an entry for this version (its number as a heading) to the CHANGELOG and push it.",
    ),
    Rule(
        "license-present",
        "G09",
        MINOR,
        "documentation",
        "LICENSE present",
        "file_present",
        paths=r"^(licen[cs]e|copying)(\.(md|txt|rst))?$",
        fix="Add a LICENSE file at the repository root.",
    ),
    Rule(
        "manifests",
        "G09",
        INFO,
        "future_proof",
        "Declared dependencies and licences",
        "manifests",
        paths=r"(^|/)(composer\.json|package\.json|requirements[^/]*\.txt|pyproject\.toml|"
        r"Pipfile|go\.mod|Gemfile|pom\.xml|build\.gradle)$",
        exclude=_NOT_OWN_CODE,
        fix="Declare every third-party dependency in a package manifest, with its licence.",
    ),
    Rule(
        "dependencies-declared",
        "G09",
        MAJOR,
        "future_proof",
        "Bundled third-party code is declared in a manifest",
        "folder_needs_file",
        paths=r"^(vendor|node_modules|bower_components|third[-_]?party|lib/vendor)/",
        needs=r"^(composer\.json|package\.json|bower\.json|requirements[^/]*\.txt|"
        r"pyproject\.toml)$",
        fix="Declare the bundled libraries in composer.json / package.json (or remove the "
        "folder and install them at build time).",
    ),
    # --- secrets (G02): high-confidence patterns only; the value is never stored ----------
    Rule(
        "secret-private-key",
        "G02",
        BLOCKER,
        "security",
        "Private key in the repository",
        "content_match",
        paths=_TEXT,
        exclude=_NOT_OWN_CODE,
        secret=True,
        pattern=r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----",
        fix="Remove the key, rotate it (it is compromised once pushed) and load it from the "
        "environment or a secret store.",
    ),
    Rule(
        "secret-cloud-key",
        "G02",
        BLOCKER,
        "security",
        "Cloud access key in code",
        "content_match",
        paths=_TEXT,
        exclude=_NOT_OWN_CODE,
        secret=True,
        pattern=r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_\-]{35}\b",
        fix="Remove the key, revoke it with the cloud provider, and read it from the environment.",
    ),
    Rule(
        "secret-token",
        "G02",
        BLOCKER,
        "security",
        "API token in code",
        "content_match",
        paths=_TEXT,
        exclude=_NOT_OWN_CODE,
        secret=True,
        pattern=r"\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}\b|"
        r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bsk_live_[0-9A-Za-z]{24,}\b",
        fix="Revoke the token and read it from the environment or the integration's settings.",
    ),
    Rule(
        "secret-kaltura-admin",
        "G02",
        BLOCKER,
        "security",
        "Kaltura admin secret in code",
        "content_match",
        paths=_TEXT,
        exclude=_NOT_OWN_CODE,
        secret=True,
        pattern=r"(?i)admin_?secret['\"]?\s*(?:=>|[:=])\s*['\"]([0-9a-f]{32})['\"]",
        fix="Regenerate the admin secret in the KMC and make it a setting of the integration.",
    ),
    Rule(
        "secret-config-password",
        "G02",
        BLOCKER,
        "security",
        "Password in a config file",
        "content_match",
        paths=_CONFIG,
        exclude=_NOT_OWN_CODE,
        secret=True,
        pattern=r"(?i)\b(?:password|passwd|pwd|secret|api_?key|auth_?token)['\"]?\s*(?:=>|[:=])"
        r"\s*['\"]?([^'\"\s,;]{6,})",
        ignore=r"(?i)^(\$\{.*|\$\w+|<.*>|%.*%|\{\{.*|x{3,}.*|change_?me|your[_-].*|example.*|"
        r"placeholder|null|none|true|false|env\(.*|getenv.*|process\.env.*|\*+)$",
        fix="Remove the password from the file, change it, and read it from the environment.",
    ),
    Rule(
        "secret-file",
        "G02",
        MAJOR,
        "security",
        "Credentials file committed",
        "path_match",
        paths=r"(^|/)(\.env(\.(local|prod|production|staging))?|id_(rsa|dsa|ecdsa|ed25519)|"
        r"[^/]+\.(p12|pfx|keystore|jks)|\.npmrc|\.pypirc)$",
        exclude=_NOT_OWN_CODE,
        fix="Delete the file from the repository (and its history) and add it to .gitignore.",
    ),
    # --- code hygiene ---------------------------------------------------------------------
    Rule(
        "minified-outside-build",
        "G10",
        MAJOR,
        "coding_practice",
        "Minified code outside a build folder",
        "path_match",
        paths=r"\.min\.(js|css)$|[.-](bundle|packed|obfuscated)\.js$",
        exclude=_NOT_OWN_CODE + r"|(^|/)(public/build|assets/build|out)/",
        fix="Commit the readable source and produce minified files in a build/ or dist/ "
        "folder (or at build time).",
    ),
    Rule(
        "obfuscated-php",
        "G10",
        MAJOR,
        "coding_practice",
        "Obfuscated PHP",
        "content_match",
        paths=r"\.(php|phtml|inc)$",
        exclude=_NOT_OWN_CODE,
        pattern=r"\beval\s*\(\s*(?:base64_decode|gzinflate|gzuncompress|str_rot13)\s*\(",
        fix="Replace the encoded code with its readable source.",
    ),
    Rule(
        "debug-log-js",
        "G08",
        MINOR,
        "coding_practice",
        "Debug logging left in JavaScript",
        "content_match",
        paths=r"\.(js|mjs|cjs|jsx|ts|tsx|vue)$",
        exclude=_NOT_OWN_CODE + r"|\.min\.js$|(^|/)(tests?|spec|__tests__)/",
        pattern=r"\bconsole\.(?:log|debug|trace|dir)\s*\(|^\s*debugger\s*;",
        fix="Remove the console.log/debugger calls (or route them through the product's "
        "logger at an appropriate level).",
    ),
    Rule(
        "debug-log-php",
        "G08",
        MINOR,
        "coding_practice",
        "Debug output left in PHP",
        "content_match",
        paths=r"\.(php|phtml|inc)$",
        exclude=_NOT_OWN_CODE + r"|(^|/)(tests?)/",
        pattern=r"\b(?:var_dump|print_r|debug_zval_dump|debug_print_backtrace)\s*\(|"
        r"\berror_log\s*\(.*\bdebug\b|KalturaLog::debug\s*\(",
        fix="Remove var_dump/print_r and debug-level error_log calls before submitting.",
    ),
    Rule(
        "hardcoded-static-host",
        "G11",
        MINOR,
        "coding_practice",
        "Static asset loaded from a hard-coded host",
        "content_match",
        paths=_TEMPLATES,
        exclude=_NOT_OWN_CODE + r"|\.min\.(js|css)$",
        pattern=r"""(?:src|href)\s*=\s*['"]https?://[^'"\s]+\.(?:js|css|png|jpe?g|gif|svg|"""
        r"""woff2?|ttf)\b|url\(\s*['"]?https?://|https?://(?:cdnapi|cdnapisec|cdnsecakmi)"""
        r"""\.kaltura\.com""",
        fix="Load static assets through the product's CDN mechanism (the configured CDN "
        "host), not an absolute URL.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
