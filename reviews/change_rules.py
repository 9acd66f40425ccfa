"""The "looks major" rules: a minor update whose diff touches any of these areas is flagged
for the reviewer, with the paths that triggered it (the program sends UI/UX and
security/auth-model changes through the deep, major review). One small table, documented
in docs/reviewer-guide.md; patterns are shell-style (`fnmatch`, case-insensitive) and
match the whole path, so `*` spans folders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class ChangeRule:
    area: str
    patterns: tuple[str, ...]


LOOKS_MAJOR_RULES: tuple[ChangeRule, ...] = (
    ChangeRule(
        "UI templates",
        (
            "*.html", "*.htm", "*.phtml", "*.twig", "*.tpl", "*.vue", "*.jsx", "*.tsx",
            "*.css", "*.scss", "*.less", "*templates/*", "*views/*", "*layouts/*",
        ),
    ),
    ChangeRule(
        "Authentication",
        (
            "*auth*", "*login*", "*logout*", "*session*", "*oauth*", "*saml*", "*sso*",
            "*password*", "*token*", "*jwt*", "*ks.*", "*kaltura_session*",
        ),
    ),
    ChangeRule(
        "Permissions",
        ("*permission*", "*acl*", "*role*", "*privilege*", "*access*", "*policy*", "*policies*"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class MajorFlag:
    area: str
    paths: tuple[str, ...]


def looks_major(paths: Iterable[str]) -> list[MajorFlag]:
    """The rule areas `paths` touch, each with the paths that matched it."""
    paths = [p for p in paths if p]
    flags = []
    for rule in LOOKS_MAJOR_RULES:
        hits = tuple(p for p in paths if any(fnmatchcase(p.lower(), pat) for pat in rule.patterns))
        if hits:
            flags.append(MajorFlag(rule.area, hits))
    return flags


def touched_areas(paths: Iterable[str]) -> list[tuple[str, int]]:
    """The top-level folders (or "root files") a change touched, with how many files each:
    the areas a scoped re-test looks at."""
    counts: dict[str, int] = {}
    for path in paths:
        area = path.split("/", 1)[0] + "/" if "/" in path else "(root files)"
        counts[area] = counts.get(area, 0) + 1
    return sorted(counts.items())
