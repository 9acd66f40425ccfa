"""Benchmark reference URLs (/bench/); config/urls.py mounts them only when
BENCH_REFERENCE_VIEWS is on, which it never is by default."""

from django.urls import path

from devtools import views as bench_views

urlpatterns = [
    path("bench/constant/", bench_views.constant, name="bench_constant"),
    path("bench/template50/", bench_views.template50, name="bench_template50"),
    path("bench/stock-admin/", bench_views.stock_admin_site.urls),
]
