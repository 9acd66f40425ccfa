"""Links to pages by URL name, for e-mails, notifications and page hints."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def link(name: str, *args: Any) -> str:
    """The path of URL `name`, or "" when it cannot be built (a page not mounted in this
    deployment, or no name): a notification or hint then goes without its link rather than
    failing the write that sent it."""
    if not name:
        return ""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def absolute_url(path: str) -> str:
    """`path` on the portal's public address (SITE_URL), for links inside e-mail bodies."""
    return f"{settings.SITE_URL}{path}" if path.startswith("/") else path
