"""The benchmark's pieces: reference views only when switched on, the results file, the
built-in load generator, seed_scale's idempotence (PostgreSQL), and issue 19's modes: their
rows, the budgets, CPU from /proc and the mixed workload's clock (no timing asserted)."""

import asyncio
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from certifications.models import CertificationRequest
from devtools.bench import afresh, budgets, mixed, population, procstat, report, schedule, variants
from devtools.management.commands import bench
from devtools.models import BenchRow
from partners.models import Partner
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


# --- reference views --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/bench/constant/", "/bench/template50/", "/bench/stock-admin/"])
def test_reference_views_are_not_mounted_by_default(client, partner_admin, path):
    client.force_login(partner_admin)
    assert client.get(path).status_code == 404


def test_reference_views_refuse_when_setting_off(rf, partner_admin, settings):
    """Even if the URLs were mounted, the views themselves answer 404 with the setting off."""
    from django.http import Http404

    from devtools import views as bench_views

    settings.BENCH_REFERENCE_VIEWS = False
    request = rf.get("/bench/constant/")
    request.user = partner_admin
    for view in (bench_views.constant, bench_views.template50):
        with pytest.raises(Http404):
            view(request)
    assert not bench_views.stock_admin_site.has_permission(request)


@pytest.mark.urls("devtools.urls")
def test_reference_views_when_on(client, partner_admin, settings):
    settings.BENCH_REFERENCE_VIEWS = True
    BenchRow.objects.bulk_create(BenchRow(name=f"Row {i}", value=i) for i in range(60))
    client.force_login(partner_admin)
    assert client.get("/bench/constant/").content == b"ok\n"
    response = client.get("/bench/template50/")
    assert response.status_code == 200
    assert response.content.count(b"<tr><td>") == 50


@pytest.mark.urls("devtools.urls")
def test_stock_admin_peer_is_the_untuned_changelist(client, settings, draft):
    from django.contrib.auth.models import Group

    settings.BENCH_REFERENCE_VIEWS = True
    user = staff_user("bench-su-t", Group.objects.first().name)
    user.is_superuser = True
    user.save()
    client.force_login(user)
    response = client.get("/bench/stock-admin/certifications/certificationrequest/")
    assert response.status_code == 200
    assert str(draft).encode() in response.content


def test_setting_is_off_by_default():
    from django.conf import settings

    assert settings.BENCH_REFERENCE_VIEWS is False


# --- results ------------------------------------------------------------------------------------


def test_results_file_has_the_keys_tools_check(tmp_path):
    rows = [
        bench.result_row("reference_template50", 20000, 120.0, 50.0, 90.0, 4, 120.0),
        bench.result_row("partner_dashboard", 20000, 60.0, 100.0, 250.0, 3, 120.0, 12),
    ]
    path = tmp_path / "bench" / "latest.json"
    bench.write_results(path, rows, {"client": "wrk"})
    data = json.loads(path.read_text())
    assert data["client"] == "wrk"
    assert [r["page"] for r in data["results"]] == ["reference_template50", "partner_dashboard"]
    for row in data["results"]:
        assert set(row) == set(bench.RESULT_KEYS)
    assert data["results"][1]["queries"] == 3
    assert data["results"][1]["queries_uncached"] == 12
    assert data["results"][1]["ratio_to_reference"] == 0.5
    table = bench.format_table(rows)
    assert "partner_dashboard" in table and "0.50" in table


def test_results_file_refuses_rows_without_keys(tmp_path):
    with pytest.raises(ValueError, match="lacks"):
        bench.write_results(tmp_path / "x.json", [{"page": "p"}], {})


def test_wrk_latency_units():
    assert bench._wrk_ms("850.00us") == pytest.approx(0.85)
    assert bench._wrk_ms("12.5ms") == pytest.approx(12.5)
    assert bench._wrk_ms("1.20s") == pytest.approx(1200)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = b"hello" if self.headers.get("Cookie") == "a=b" else b"no cookie"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_builtin_client_measures_a_keep_alive_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/x"
        got = bench.run_builtin(url, "a=b", connections=4, duration=0.5)
    finally:
        server.shutdown()
    assert got["rps"] > 10
    assert got["errors"] == 0
    assert 0 < got["p50"] <= got["p99"]


# --- seed_scale ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_seed_scale_is_idempotent_per_size(require_postgres, capsys):
    """Outside a transaction, as `make seed-scale` runs: the seed ends with VACUUM ANALYZE
    (the visibility map set, so capped counts can be index-only scans)."""
    from django.db import connection

    call_command("seed_scale", partners=3, requests=60)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible, reltuples FROM pg_class WHERE relname = %s",
            [CertificationRequest._meta.db_table],
        )
        all_visible, tuples = cursor.fetchone()
    assert all_visible > 0 and tuples >= 60
    partners = Partner.objects.filter(slug__startswith="scale-").count()
    requests = CertificationRequest.objects.filter(integration__partner__slug__startswith="scale-")
    assert (partners, requests.count()) == (3, 60)
    assert len({state for state in requests.values_list("state", flat=True)}) == 10
    assert BenchRow.objects.count() == 50
    call_command("seed_scale", partners=3, requests=60)
    assert "Already seeded" in capsys.readouterr().out
    assert requests.count() == 60
    with pytest.raises(CommandError):
        call_command("seed_scale", partners=4, requests=80)


def test_seed_scale_needs_postgres():
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on other databases")
    with pytest.raises(CommandError):
        call_command("seed_scale", partners=1, requests=1)


def test_ratio_given_by_the_rounds_replaces_rps_over_reference():
    row = bench.result_row("partner_dashboard", 20000, 300.0, 40.0, 90.0, 2, 250.0, 12, ratio=1.37)
    assert row["ratio_to_reference"] == 1.37
    assert (
        bench.result_row("verify", 20000, 500.0, 20.0, 50.0, 0, 250.0)["ratio_to_reference"] == 2.0
    )


# --- issue 19: the modes' rows, budgets, CPU readings and the mixed workload's clock ---------


def _afresh(page, size, ratio, queries):
    return afresh.afresh_row(
        page, size, {"cpu_ms": ratio * 4.0, "wall_ms": 9.0, "requests": 20}, queries, 4.0
    )


def test_results_file_sections_have_their_keys(tmp_path):
    sections = {
        "afresh": [_afresh("partner_dashboard", 20000, 2.0, 12)],
        "mixed": mixed.page_rows(20000, "x5", [("metrics", 12.0, 200, "hit")]),
        "mixed_runs": [mixed.run_summary(20000, "x5", 5.0, 30, 112, [], {}, 0.0)],
        "variants": [variants.variant_row("queue_search", 20000, 80.0, "/q", 20.0, 5.0)],
        "budgets": [budgets.budget("x", 1, 0.5, True)],
    }
    path = tmp_path / "latest.json"
    bench.write_results(path, [], {"client": "wrk"}, sections)
    data = json.loads(path.read_text())
    assert set(data) == {"client", "results", *sections}
    for name in sections:
        assert set(data[name][0]) == set(report.SECTION_KEYS[name]), name
    assert data["afresh"][0]["cpu_ratio_to_reference"] == 2.0
    with pytest.raises(ValueError, match="afresh row lacks"):
        bench.write_results(path, [], {}, {"afresh": [{"page": "p"}]})
    with pytest.raises(ValueError, match="unknown section"):
        bench.write_results(path, [], {}, {"nonsense": []})


def test_budgets_met_and_not_met():
    rows = {
        "afresh": [
            _afresh("reference_template50", 200000, 1.0, 3),
            _afresh("partner_dashboard", 20000, 9.0, 12),  # only the largest size counts
            _afresh("partner_dashboard", 200000, 2.5, 12),
            _afresh("manager_overview", 20000, 2.0, 8),
            _afresh("manager_overview", 200000, 3.5, 9),  # over the ratio, queries grew
        ],
        "mixed": [
            {**r, "hit_rate": h}
            for r, h in (
                (mixed.page_rows(200000, "x5", [("metrics", 120.0, 200, "hit")])[0], 0.6),
                (mixed.page_rows(200000, "x5", [("admin_request", 151.0, 200, "miss")])[0], 0.4),
                (mixed.page_rows(200000, "realistic", [("metrics", 900.0, 200, "")])[0], None),
            )
        ],
        "variants": [
            variants.variant_row("queue_search", 200000, 99.0, "/"),
            variants.variant_row("overview_sort_open", 200000, 101.0, "/"),
            variants.variant_row("overview_sort_open", 20000, 500.0, "/"),  # smaller size
            variants.variant_row("metrics_refresh_first", 200000, 3000.0, ""),  # no budget
            variants.variant_row("metrics_refresh_after_writes", 20000, 150.0, ""),
            variants.variant_row("metrics_refresh_after_writes", 200000, 250.0, ""),
        ],
        "results": [
            bench.result_row("verify", 20000, 100.0, 1, 2, 0, 100.0),
            bench.result_row("verify", 200000, 81.0, 1, 2, 0, 100.0),
            bench.result_row("metrics", 20000, 100.0, 1, 2, 0, 100.0),
            bench.result_row("metrics", 200000, 79.0, 1, 2, 0, 100.0),
            bench.result_row("reference_constant", 200000, 1.0, 1, 2, 0, 100.0),
        ],
    }
    got = {b["name"]: b for b in budgets.evaluate(**rows)}
    for b in got.values():
        assert set(b) == set(budgets.BUDGET_KEYS)
    verdicts = {name: b["met"] for name, b in got.items()}
    assert verdicts == {
        "afresh CPU ≤ 3× reference: partner_dashboard at 200000": True,
        "queries ≤ 12, same at every size: partner_dashboard": True,
        "afresh CPU ≤ 3× reference: manager_overview at 200000": False,
        "queries ≤ 12, same at every size: manager_overview": False,
        "mixed x5 p99 ≤ 150 ms: metrics at 200000": True,
        "mixed x5 staff hit rate ≥ 50%: metrics at 200000": True,
        "mixed x5 p99 ≤ 150 ms: admin_request at 200000": False,
        "mixed x5 staff hit rate ≥ 50%: admin_request at 200000": False,
        "variant ≤ 100 ms: queue_search at 200000": True,
        "variant ≤ 100 ms: overview_sort_open at 200000": False,
        "metrics refresh after the first build ≤ 200 ms, every size": False,
        "req/s at 200000 ≥ 80% of 20000: verify": True,
        "req/s at 200000 ≥ 80% of 20000: metrics": False,
    }
    assert got["queries ≤ 12, same at every size: manager_overview"]["detail"] == (
        "20000: 8, 200000: 9"
    )
    assert got["metrics refresh after the first build ≤ 200 ms, every size"]["measured"] == 250
    assert "NOT met" in budgets.format_budgets(list(got.values()))
    assert budgets.evaluate(results=[], afresh=[], mixed=[], variants=[]) == []


def test_proc_stat_cpu_and_children(tmp_path):
    tick = procstat.TICKS_PER_SECOND
    # A command name with spaces and a ")" in it; utime 150 and stime 50 ticks.
    line = "4242 (gunicorn: worker) [x]) S 4200 4200 4200 0 -1 4194560 9 0 0 0 150 50 0 0 20"
    assert procstat.parse_stat(line) == (4200, 200 / tick)
    for pid, ppid, ticks in ((4200, 1, 10), (4242, 4200, 100), (4243, 4200, 300), (99, 1, 7)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(
            f"{pid} (w) S {ppid} 1 1 0 -1 0 0 0 0 0 {ticks} 0 0 0 20"
        )
    (tmp_path / "self").mkdir()
    assert procstat.children(4200, tmp_path) == [4242, 4243]
    meter = procstat.CpuMeter.workers(4200, tmp_path)
    meter.start()
    (tmp_path / "4243" / "stat").write_text(f"4243 (w) S 4200 1 1 0 -1 0 0 0 0 0 300 {tick} 0 0 20")
    assert meter.stop() == pytest.approx(1.0)
    assert procstat.cpu_seconds([4242, 12345], tmp_path) == pytest.approx(100 / tick)


def test_mixed_schedule_arithmetic_on_a_fake_clock():
    assert schedule.times(20.0, 0.25, 60.0) == [5.0, 25.0, 45.0]
    assert schedule.times(20.0, 0.25, 60.0, speed=5) == [i * 4.0 + 1.0 for i in range(15)]
    assert schedule.write_times(2.0, 30.0) == [i * 2.0 + 1.0 for i in range(15)]
    assert len(schedule.write_times(2.0, 30.0, speed=5)) == 75
    phases = sorted(schedule.phase(i) for i in range(100))
    assert max(b - a for a, b in itertools.pairwise(phases)) < 0.02  # spread out
    # two people every 10 s for 30 s: phases 0 and 0.618 → 3 reloads each; at 5× 15 each
    assert schedule.expected([10.0, 10.0], 30.0) == 6
    assert schedule.expected([10.0, 10.0], 30.0, speed=5) == 30
    assert schedule.expected([10.0, 10.0], 25.0) == 5  # the second's third is at 26.2 s

    now = [100.0]
    done = []

    def clock():
        return now[0]

    async def sleep(seconds):
        now[0] += seconds

    async def visit():  # each reload takes 3 s
        done.append(now[0])
        now[0] += 3.0

    late = asyncio.run(schedule.follow([0.0, 2.0, 10.0], 100.0, visit, clock=clock, sleep=sleep))
    assert done == [100.0, 103.0, 110.0]  # the second is 1 s late, the third on time again
    assert late == [0.0, 1.0, 0.0]

    now[0], done[:] = 0.0, []

    def write():
        done.append(now[0])
        now[0] += 0.5

    def sleep_sync(seconds):
        now[0] += seconds

    late = schedule.follow_blocking(
        schedule.write_times(2.0, 6.0), 0.0, write, clock=clock, sleep=sleep_sync
    )
    assert done == [1.0, 3.0, 5.0] and late == [0.0, 0.0, 0.0]


def test_mixed_rows_count_page_cache_hits_from_the_header():
    samples = [
        ("metrics", float(ms), 200, cache) for ms, cache in enumerate(["hit"] * 3 + ["miss"])
    ]
    samples += [("api_request_list", 5.0, 200, ""), ("api_request_list", 7.0, 500, "")]
    rows = {r["page"]: r for r in mixed.page_rows(20000, "x5", samples)}
    assert rows["metrics"]["hit_rate"] == 0.75
    assert (rows["metrics"]["p50_ms"], rows["metrics"]["p99_ms"]) == (2.0, 3.0)
    assert rows["api_request_list"]["hit_rate"] is None  # not behind the page cache
    assert rows["api_request_list"]["errors"] == 1
    people = [{"period": 20.0, "pages": [["a", "/"], ["b", "/b"]]}] * 3
    assert mixed.planned(people, 30.0, 1.0) == 2 * sum(
        len(schedule.times(20.0, schedule.phase(i), 30.0)) for i in range(3)
    )


def test_modes_and_people():
    assert bench.parse_modes("mixed,afresh") == ["afresh", "mixed"]
    with pytest.raises(CommandError):
        bench.parse_modes("afresh,fast")
    assert population.partner_numbers(2000) == [1 + 20 * i for i in range(100)]
    assert population.partner_numbers(50) == list(range(1, 51))
