"""The floors hold: production has no trace of devtools, and no module import cycle exists.

The layers themselves (config > portal | program > support > reviews > certifications >
partners > certportal; devtools imported only by config) are checked by `lint-imports` in
`make test`; these tests check what import-linter cannot see."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.certportal.test_settings import FIELD_KEY, PROD_KEY, run_python

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "config",
    "devtools",
    "portal",
    "program",
    "support",
    "reviews",
    "certifications",
    "partners",
    "certportal",
)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": PROD_KEY,
    "ALLOWED_HOSTS": "portal.example.com,testserver",
    "FIELD_ENCRYPTION_KEYS": FIELD_KEY,
    "SECURE_SSL_REDIRECT": "false",
}


def _strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's algorithm over module-to-module imports (lazy imports included)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return components


def test_no_import_cycle_between_modules():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    # A package's __init__ importing its own submodules (re-exports) is not a cycle of
    # behaviour; drop the edges from a package to its own descendants.
    for module in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(module)):
            if imported.startswith(module + "."):
                graph.remove_import(importer=module, imported=imported)
    assert _strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = grimp.ImportGraph()
    for name in ("a", "a.one", "a.two", "a.three"):
        graph.add_module(name)
    graph.add_import(importer="a.one", imported="a.two")
    graph.add_import(importer="a.two", imported="a.three")
    graph.add_import(importer="a.three", imported="a.one")
    assert _strongly_connected(graph) == [["a.one", "a.three", "a.two"]]


@pytest.fixture
def production_db(tmp_path):
    return f"sqlite:///{tmp_path / 'production.sqlite3'}"


@pytest.mark.slow(seconds=11)
def test_production_has_no_devtools(production_db):
    """With DEBUG off: devtools is not installed, `migrate` creates no benchmark table, the
    admin index lists no benchmark model, /bench/ is a 404 and the demo commands are gone."""
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=_env(DATABASE_URL=production_db),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    code = """
import django
django.setup()
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.core.management import get_commands
from django.db import connection
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

tables = connection.introspection.table_names()
print("devtools-installed", apps.is_installed("devtools"))
print("bench-tables", sorted(t for t in tables if "bench" in t))
print("admin-models", sorted(m._meta.label for m in admin.site._registry))
print("commands", sorted(c for c in ("seed_demo", "seed_scale", "bench") if c in get_commands()))
user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
try:  # Django answers an unresolved path with its 404 page
    resolve("/bench/constant/")
    print("bench-status", "resolved")
except Resolver404:
    print("bench-status", "404")
# The admin index's sidebar, as the page builds it (rendering would need collectstatic).
from django.test import RequestFactory
request = RequestFactory().get("/admin/", HTTP_HOST="portal.example.com", secure=True)
request.user = user
names = [m["object_name"] for app in admin.site.get_app_list(request) for m in app["models"]]
print("admin-index", "BenchRow" in names, len(names) > 0)
"""
    result = run_python(code, DATABASE_URL=production_db, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    out = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    assert out["devtools-installed"] == "False"
    assert out["bench-tables"] == "[]"
    assert "devtools.BenchRow" not in out["admin-models"]
    assert out["commands"] == "[]"
    assert out["bench-status"] == "404"
    assert out["admin-index"] == "False True"


def test_production_with_bench_flag_off_still_404_even_if_devtools_installed():
    """The reference URLs need BENCH_REFERENCE_VIEWS as well: DEBUG alone installs devtools
    (demo data) but mounts no /bench/."""
    code = """
import django
django.setup()
from django.urls import Resolver404, resolve
try:
    resolve("/bench/constant/")
    print("mounted")
except Resolver404:
    print("not-mounted")
"""
    result = run_python(code, DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "not-mounted"


def _env(**overrides: str) -> dict[str, str]:
    import os

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "BENCH_REFERENCE_VIEWS"}
    }
    env.update(PRODUCTION)
    env.update(overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env
