"""A test-only URLconf: the real one plus a view that raises, for the generic 500 page."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from config.urls import handler403, handler404, handler500, urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

SECRET_MARKER = "boom-secret-9f2c"


@login_not_required
def boom(request):
    raise RuntimeError(f"database password is {SECRET_MARKER}")


urlpatterns = [path("boom/", boom), *urlpatterns]
