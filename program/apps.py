from django.apps import AppConfig


class ProgramConfig(AppConfig):
    """Partner managers' and the support desk's pages under /manage/ (no models)."""

    name = "program"
    verbose_name = "Program management"
