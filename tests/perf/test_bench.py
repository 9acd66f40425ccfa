"""The benchmark's pieces: reference views only when switched on, the results file, the
built-in load generator, and seed_scale's idempotence (PostgreSQL)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command

from certifications.models import CertificationRequest
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


def test_seed_scale_is_idempotent_per_size(require_postgres, capsys):
    call_command("seed_scale", partners=3, requests=60)
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
