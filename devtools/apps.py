from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Demo data, seed_scale, the benchmarks and their reference views. Installed only with
    DEBUG or BENCH_REFERENCE_VIEWS (see config/settings.py), never in production."""

    name = "devtools"
    verbose_name = "Development tools"
