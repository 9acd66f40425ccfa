"""The matchers behind the rule kinds of ``reviews.intake.rules``: pure functions from a
commit's file list (and the few files the rules read) to report items.

Nothing here touches the database or GitHub: ``scan`` is given the tree and a ``read``
callable, decides which files it needs (only those some rule reads, each blob once), and
stops reading at the limits. Secret values never leave this module: an item carries a
masked preview and a keyed hash, never the value."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reviews.github import RepoTree, TreeEntry
from reviews.intake.rules import CHANGELOG, INFO, README, RULES, Rule

PASS, FAIL = "pass", "fail"
EXCERPT_MAX = 160
# Lines longer than this are not searched line by line (minified code): the regexes stay
# linear and the minified-code rule reports such files by name.
LINE_SEARCH_MAX = 4000
ITEMS_PER_RULE = 25

_README_RE = re.compile(README, re.IGNORECASE)
_CHANGELOG_RE = re.compile(CHANGELOG, re.IGNORECASE)
_HEADING_RE = re.compile(
    r"^\s{0,3}(?:#{1,6}\s+(.+?)\s*#*\s*$|\*\*(.+?)\*\*:?\s*$|=+\s*(.+?)\s*=+$)"
)
_UNDERLINE_RE = re.compile(r"^\s{0,3}(=+|-+|~+|\^+)\s*$")


@dataclass(frozen=True)
class Limits:
    max_files: int  # a larger tree is listed, but only its documentation files are read
    max_file_bytes: int  # a larger file is not read
    max_total_bytes: int  # bytes read per report
    max_reads: int  # blobs read per report


@dataclass
class Item:
    rule: Rule
    outcome: str  # pass / fail / info
    path: str = ""
    line: int | None = None
    excerpt: str = ""
    message: str = ""
    value_hash: str = ""


@dataclass
class ScanResult:
    items: list[Item]
    files_total: int
    files_read: int = 0
    bytes_read: int = 0
    notes: list[str] = field(default_factory=list)
    limited: bool = False


def mask(value: str) -> str:
    """A preview that identifies a secret to its owner without revealing it."""
    shown = 4 if len(value) >= 16 else 2 if len(value) >= 8 else 0
    return f"{value[:shown]}…({len(value)} characters)"


def secret_hash(value: str, key: bytes) -> str:
    """Keyed so a stored hash cannot be checked against guessed passwords offline."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def redact(line: str, patterns: Iterable[re.Pattern[str]]) -> str:
    """``line`` with every value a secret rule matches replaced by its masked preview:
    every excerpt goes through this, whichever rule it was taken for."""
    for pattern in patterns:
        line = pattern.sub(lambda m: _masked_match(m), line)
    return line


def _masked_match(match: re.Match[str]) -> str:
    group = 1 if match.re.groups and match.group(1) else 0
    start, end = match.start(group) - match.start(0), match.end(group) - match.start(0)
    text = match.group(0)
    return text[:start] + mask(match.group(group)) + text[end:]


def _excerpt(line: str, ctx: _Context) -> str:
    text = redact(line, ctx.secret_patterns).strip()
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


# --- planning the reads ------------------------------------------------------------------


def _matches(rule: Rule, path: str) -> bool:
    include, exclude = rule.path_re(), rule.exclude_re()
    return bool(include and include.search(path)) and not (exclude and exclude.search(path))


def _doc_rules(rules: Iterable[Rule]) -> list[Rule]:
    return [r for r in rules if r.kind in ("readme_section", "changelog_version", "manifests")]


def readme_of(entries: Iterable[TreeEntry]) -> TreeEntry | None:
    """The root README GitHub would show (Markdown first)."""
    found = sorted(
        (e for e in entries if _README_RE.match(e.path)),
        key=lambda e: (not e.path.lower().endswith(".md"), e.path),
    )
    return found[0] if found else None


def needed_files(
    tree: RepoTree, rules: Iterable[Rule] = RULES
) -> tuple[list[TreeEntry], list[TreeEntry]]:
    """(documentation files, code files) the rules read: documentation first, since the
    report is about them even for a repository too large to scan in full."""
    rules = list(rules)
    docs: list[TreeEntry] = []
    readme = readme_of(tree.entries)
    if readme is not None and any(r.kind == "readme_section" for r in rules):
        docs.append(readme)
    for entry in tree.entries:
        if entry in docs:
            continue
        if any(
            (r.kind == "changelog_version" and _CHANGELOG_RE.match(entry.path))
            or (r.kind == "manifests" and _matches(r, entry.path))
            for r in rules
        ):
            docs.append(entry)
    content_rules = [r for r in rules if r.kind == "content_match"]
    code = [
        e for e in tree.entries if e not in docs and any(_matches(r, e.path) for r in content_rules)
    ]
    return docs, code


# --- the scan ------------------------------------------------------------------------------


def scan(
    *,
    tree: RepoTree,
    private: bool,
    version: str,
    read: Callable[[TreeEntry], bytes],
    limits: Limits,
    hash_key: bytes,
    rules: Iterable[Rule] = RULES,
) -> ScanResult:
    """Run every rule over one commit. ``read`` fetches a file's bytes (one GitHub call)."""
    rules = list(rules)
    result = ScanResult(items=[], files_total=len(tree.entries))
    if tree.truncated:
        result.limited = True
        result.notes.append("GitHub listed only part of this repository's files.")
    docs, code = needed_files(tree, rules)
    if len(tree.entries) > limits.max_files:
        result.limited = True
        result.notes.append(
            f"The commit has {len(tree.entries):,} files, more than the {limits.max_files:,} "
            "a report scans: only its documentation was read."
        )
        code = []
    texts: dict[str, str] = {}  # path -> text of the files read
    by_blob: dict[str, str] = {}
    skipped_big = skipped_budget = 0
    for entry in [*docs, *code]:
        if entry.sha in by_blob:
            texts[entry.path] = by_blob[entry.sha]
            continue
        if entry.size > limits.max_file_bytes:
            skipped_big += 1
            continue
        if (
            result.files_read >= limits.max_reads
            or result.bytes_read + entry.size > limits.max_total_bytes
        ):
            skipped_budget += 1
            continue
        data = read(entry)
        result.files_read += 1
        result.bytes_read += len(data)
        if b"\0" in data[:8000]:
            continue  # binary: nothing the rules look for
        text = data.decode("utf-8", errors="replace")
        by_blob[entry.sha] = texts[entry.path] = text
    if skipped_big:
        result.notes.append(
            f"{skipped_big} file(s) larger than {limits.max_file_bytes // 1024} KB were not read."
        )
    if skipped_budget:
        result.limited = True
        result.notes.append(
            f"{skipped_budget} file(s) were not read: the report's reading budget "
            f"({limits.max_reads} files, {limits.max_total_bytes // (1024 * 1024)} MB) ran out."
        )
    context = _Context(
        tree=tree,
        private=private,
        version=version,
        texts=texts,
        key=hash_key,
        secret_patterns=tuple(
            re.compile(r.pattern) for r in rules if r.kind == "content_match" and r.secret
        ),
    )
    for rule in rules:
        items = list(MATCHERS[rule.kind](rule, context))
        failures = [i for i in items if i.outcome == FAIL]
        if len(failures) > ITEMS_PER_RULE:
            items = [i for i in items if i.outcome != FAIL] + failures[:ITEMS_PER_RULE]
            result.notes.append(
                f"{rule.title}: {len(failures) - ITEMS_PER_RULE} more occurrence(s) not listed."
            )
        if not items:
            items = [Item(rule, INFO if rule.severity == INFO else PASS, message="Nothing found.")]
        result.items.extend(items)
    return result


@dataclass(frozen=True)
class _Context:
    tree: RepoTree
    private: bool
    version: str
    texts: dict[str, str]
    key: bytes
    secret_patterns: tuple[re.Pattern[str], ...] = ()

    def paths(self) -> list[str]:
        return [e.path for e in self.tree.entries]


def _repository_private(rule: Rule, ctx: _Context) -> Iterable[Item]:
    if ctx.private:
        yield Item(rule, PASS, message="The repository is private.")
    else:
        yield Item(rule, FAIL, message="The repository is public on GitHub.")


def _file_present(rule: Rule, ctx: _Context) -> Iterable[Item]:
    pattern = rule.path_re()
    found = sorted(p for p in ctx.paths() if pattern and pattern.search(p))
    if found:
        yield Item(rule, PASS, path=found[0], message=f"Found {found[0]}.")
    else:
        yield Item(rule, FAIL, message="No such file at the repository root.")


def _headings(text: str) -> Iterable[tuple[int, str]]:
    """(line number, heading text): Markdown/AsciiDoc/bold headings, underlined headings,
    and paragraphs that open with a label ("Configuration: ...")."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        match = _HEADING_RE.match(line)
        if match:
            yield index + 1, next(g for g in match.groups() if g)
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and _UNDERLINE_RE.match(following) and len(line.strip()) < 80:
            yield index + 1, line.strip()
            continue
        label = re.match(r"^\s*([A-Za-z][\w /&-]{2,40}?)\s*[:—]\s+\S", line)
        if label:
            yield index + 1, label.group(1)


def _readme_section(rule: Rule, ctx: _Context) -> Iterable[Item]:
    readme = readme_of(ctx.tree.entries)
    if readme is None or readme.path not in ctx.texts:
        message = "There is no README." if readme is None else "The README could not be read."
        yield Item(rule, FAIL, message=message)
        return
    wanted = re.compile(rf"\b(?:{rule.pattern})\b", re.IGNORECASE)
    for number, heading in _headings(ctx.texts[readme.path]):
        if wanted.search(heading):
            yield Item(
                rule,
                PASS,
                path=readme.path,
                line=number,
                excerpt=_excerpt(heading, ctx),
                message=f"Found at line {number}.",
            )
            return
    yield Item(rule, FAIL, path=readme.path, message="No heading or paragraph covers this.")


def _changelog_version(rule: Rule, ctx: _Context) -> Iterable[Item]:
    logs = sorted(p for p in ctx.texts if _CHANGELOG_RE.match(p))
    if not logs:
        yield Item(rule, FAIL, message="There is no CHANGELOG to look in.")
        return
    version = ctx.version.strip().lstrip("vV")
    wanted = re.compile(rf"(?<![\w.])v?{re.escape(version)}(?![\w]|\.\d)", re.IGNORECASE)
    for path in logs:
        for number, line in enumerate(ctx.texts[path].splitlines(), start=1):
            if len(line) <= LINE_SEARCH_MAX and wanted.search(line):
                yield Item(
                    rule,
                    PASS,
                    path=path,
                    line=number,
                    excerpt=_excerpt(line, ctx),
                    message=f"Version {ctx.version} is mentioned at line {number}.",
                )
                return
    yield Item(rule, FAIL, path=logs[0], message=f"Version {ctx.version} is not mentioned.")


def _manifest_summary(path: str, text: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    if name in ("composer.json", "package.json"):
        try:
            data = json.loads(text)
        except ValueError:
            return "not valid JSON"
        if not isinstance(data, dict):
            return "not a manifest object"
        keys = (
            ("require", "require-dev")
            if name == "composer.json"
            else ("dependencies", "devDependencies", "peerDependencies")
        )
        deps = sorted({d for k in keys if isinstance(data.get(k), dict) for d in data[k]})
        licence = data.get("license") or data.get("licenses") or "not stated"
        if isinstance(licence, list):
            licence = ", ".join(
                str(x.get("type", x) if isinstance(x, dict) else x) for x in licence
            )
        shown = ", ".join(deps[:12]) + (f" and {len(deps) - 12} more" if len(deps) > 12 else "")
        return f"licence: {licence}; {len(deps)} dependencies" + (f" ({shown})" if deps else "")
    if name == "pyproject.toml":
        match = re.search(r"(?m)^license\s*=\s*(.+)$", text)
        return f"licence: {match.group(1).strip() if match else 'not stated'}"
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return f"{len(lines)} entries; licences are not stated in this format"


def _manifests(rule: Rule, ctx: _Context) -> Iterable[Item]:
    found = sorted(p for p in ctx.paths() if _matches(rule, p))
    if not found:
        yield Item(rule, INFO, message="No package manifest found.")
    for path in found:
        summary = _manifest_summary(path, ctx.texts[path]) if path in ctx.texts else "not read"
        yield Item(rule, INFO, path=path, message=f"{path}: {summary}.")


def _folder_needs_file(rule: Rule, ctx: _Context) -> Iterable[Item]:
    pattern = rule.path_re()
    folders = sorted({p.split("/", 1)[0] for p in ctx.paths() if pattern and pattern.search(p)})
    if not folders:
        return
    needs = re.compile(rule.needs, re.IGNORECASE)
    if any(needs.search(p) for p in ctx.paths()):
        yield Item(rule, PASS, path=folders[0] + "/", message="A manifest declares them.")
    else:
        for folder in folders:
            yield Item(rule, FAIL, path=folder + "/", message="Bundled code with no manifest.")


def _path_match(rule: Rule, ctx: _Context) -> Iterable[Item]:
    for path in sorted(p for p in ctx.paths() if _matches(rule, p)):
        yield Item(rule, FAIL, path=path, message=rule.title + ".")


def _content_match(rule: Rule, ctx: _Context) -> Iterable[Item]:
    pattern = re.compile(rule.pattern, re.MULTILINE)
    ignore = re.compile(rule.ignore) if rule.ignore else None
    for path in sorted(p for p in ctx.texts if _matches(rule, p)):
        for number, line in enumerate(ctx.texts[path].splitlines(), start=1):
            if len(line) > LINE_SEARCH_MAX:
                continue
            match = pattern.search(line)
            if match is None:
                continue
            if not rule.secret:
                yield Item(
                    rule,
                    FAIL,
                    path=path,
                    line=number,
                    excerpt=_excerpt(line, ctx),
                    message=rule.title + ".",
                )
                continue
            group = 1 if match.re.groups and match.group(1) else 0
            value = match.group(group)
            if ignore is not None and ignore.match(value):
                continue
            yield Item(
                rule,
                FAIL,
                path=path,
                line=number,
                excerpt=_excerpt(line, ctx),
                message=rule.title + " (value hidden).",
                value_hash=secret_hash(value, ctx.key),
            )


MATCHERS: dict[str, Callable[[Rule, _Context], Iterable[Item]]] = {
    "repository_private": _repository_private,
    "file_present": _file_present,
    "readme_section": _readme_section,
    "changelog_version": _changelog_version,
    "manifests": _manifests,
    "folder_needs_file": _folder_needs_file,
    "path_match": _path_match,
    "content_match": _content_match,
}
