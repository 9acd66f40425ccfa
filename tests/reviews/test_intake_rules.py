"""Each intake rule on fixture trees: it reports what it should, and nothing on a clean tree
(pure engine: no database, no GitHub)."""

from __future__ import annotations

import hashlib

import pytest

from reviews.github import RepoTree, TreeEntry
from reviews.intake import engine
from reviews.intake.rules import RULES, RULES_BY_ID
from tests.reviews import intake_trees as trees

LIMITS = engine.Limits(max_files=1000, max_file_bytes=100_000, max_total_bytes=10**7, max_reads=500)
KEY = b"test-key"


def _tree(files: dict[str, str]) -> tuple[RepoTree, dict[str, bytes]]:
    blobs = {}
    entries = []
    for path, text in sorted(files.items()):
        data = text.encode("latin-1") if path.endswith(".png") else text.encode()
        sha = hashlib.sha1(data).hexdigest()  # noqa: S324 - an id, not security
        blobs[sha] = data
        entries.append(TreeEntry(path=path, sha=sha, size=len(data)))
    return RepoTree(sha="c" * 40, entries=tuple(entries)), blobs


def run(files, *, private=True, version="1.0.0", limits=LIMITS):
    tree, blobs = _tree(files)
    reads: list[str] = []

    def read(entry):
        reads.append(entry.path)
        return blobs[entry.sha]

    result = engine.scan(
        tree=tree, private=private, version=version, read=read, limits=limits, hash_key=KEY
    )
    return result, reads


def failing(result) -> set[str]:
    return {i.rule.id for i in result.items if i.outcome == engine.FAIL}


def test_clean_tree_reports_nothing():
    result, reads = run(trees.tree())
    assert failing(result) == set()
    # Every rule reported (a pass, or information for the manifests).
    assert {i.rule.id for i in result.items} == {r.id for r in RULES}
    # Third-party, build and binary files are listed from the tree, never read.
    assert not [p for p in reads if p.startswith(("vendor/", "build/")) or p.endswith(".png")]


def test_every_rule_has_a_fixture():
    assert set(trees.DIRTY) | trees.NOT_FROM_FILES == set(RULES_BY_ID)


@pytest.mark.parametrize("rule_id", sorted(trees.DIRTY))
def test_rule_finds_its_problem_and_only_it(rule_id):
    result, _ = run(trees.tree(trees.DIRTY[rule_id]))
    found = failing(result)
    assert rule_id in found
    # A missing README also fails its sections; a missing changelog also its version.
    allowed = {rule_id}
    if rule_id == "readme-present":
        allowed |= {r.id for r in RULES if r.kind == "readme_section"}
    if rule_id == "changelog-present":
        allowed.add("changelog-version")
    assert found <= allowed, found - allowed
    item = next(i for i in result.items if i.rule.id == rule_id and i.outcome == engine.FAIL)
    assert item.rule.guideline.startswith("G")


def test_public_repository_is_a_blocker():
    result, _ = run(trees.tree(), private=False)
    item = next(i for i in result.items if i.rule.id == "repo-private")
    assert item.outcome == engine.FAIL and item.rule.severity == "blocker"


def test_readme_sections_report_the_line_they_matched():
    result, _ = run(trees.tree())
    ui = next(i for i in result.items if i.rule.id == "readme-ui")
    assert (ui.outcome, ui.path, ui.line, ui.excerpt) == ("pass", "README.md", 9, "UI changes")


def test_readme_paragraph_label_counts_as_a_section():
    readme = trees.README.replace("## Configuration\n", "Configuration: ")
    result, _ = run(trees.tree({"README.md": readme}))
    assert "readme-configuration" not in failing(result)


@pytest.mark.parametrize(
    ("rule_id", "value"),
    [
        ("secret-cloud-key", trees.AWS_KEY),
        ("secret-token", trees.GH_TOKEN),
        ("secret-config-password", trees.CONFIG_PASSWORD),
        ("secret-kaltura-admin", trees.KALTURA_SECRET),
    ],
)
def test_secret_value_is_masked_and_hashed(rule_id, value):
    result, _ = run(trees.tree(trees.DIRTY[rule_id]))
    item = next(i for i in result.items if i.rule.id == rule_id and i.outcome == engine.FAIL)
    assert value not in item.excerpt and value not in item.message
    assert "characters)" in item.excerpt
    assert item.value_hash == engine.secret_hash(value, KEY) and value not in item.value_hash
    assert item.line


def test_a_secret_on_another_rules_line_is_masked_too():
    result, _ = run(trees.tree({"assets/captions.js": f"console.log('{trees.GH_TOKEN}');\n"}))
    debug = next(i for i in result.items if i.rule.id == "debug-log-js")
    assert debug.outcome == engine.FAIL and trees.GH_TOKEN not in debug.excerpt


def test_placeholders_in_config_are_not_passwords():
    result, _ = run(trees.tree({"config/app.yml": "password: ${DB_PASSWORD}\napi_key: changeme\n"}))
    assert "secret-config-password" not in failing(result)


def test_manifests_list_dependencies_and_licence():
    result, _ = run(trees.tree())
    info = [i for i in result.items if i.rule.id == "manifests"]
    assert [i.path for i in info] == ["composer.json"]
    assert "licence: MIT" in info[0].message and "guzzlehttp/guzzle" in info[0].message


def test_changelog_version_matches_whole_versions_only():
    result, _ = run(trees.tree(), version="1.0")  # "1.0.0" is not "1.0"
    assert "changelog-version" in failing(result)
    result, _ = run(trees.tree(), version="v1.0.0")
    assert "changelog-version" not in failing(result)


def test_limits_stop_reading_and_say_so():
    files = trees.tree({f"src/F{n}.php": f"<?php // {n}\n" for n in range(30)})
    limits = engine.Limits(
        max_files=1000, max_file_bytes=100_000, max_total_bytes=10**7, max_reads=10
    )
    result, reads = run(files, limits=limits)
    assert len(reads) == 10 and result.limited
    assert any("reading budget" in n for n in result.notes)
    # Documentation is read first, so the README rules still answer.
    assert "README.md" in reads and "readme-ui" not in failing(result)


def test_file_count_cap_reads_only_documentation():
    limits = engine.Limits(
        max_files=5, max_file_bytes=100_000, max_total_bytes=10**7, max_reads=500
    )
    result, reads = run(trees.tree(trees.DIRTY["debug-log-js"]), limits=limits)
    assert result.limited and "assets/captions.js" not in reads
    assert set(reads) <= {"README.md", "CHANGELOG.md", "composer.json"}


def test_identical_files_are_read_once():
    same = "<?php echo 1;\n"
    _, reads = run(trees.tree({"src/a.php": same, "src/b.php": same}))
    assert sorted(p for p in reads if p in ("src/a.php", "src/b.php")) == ["src/a.php"]


def test_partner_guide_explains_every_rule():
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs" / "partner-guide.md").read_text()
    missing = [r.id for r in RULES if f"(`{r.id}`)" not in guide]
    assert not missing, f"document these intake rules in docs/partner-guide.md: {missing}"
