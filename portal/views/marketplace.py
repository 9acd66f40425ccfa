"""The public marketplace page (no login)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from certifications.forms import MarketplaceSearchForm
from certifications.marketplace import marketplace_listings

PER_PAGE = 24


@require_GET
@login_not_required
def marketplace(request):
    form = MarketplaceSearchForm(request.GET or None)
    query = area = ""
    status = 200
    if form.is_bound:
        if form.is_valid():
            query, area = form.cleaned_data["q"].strip(), form.cleaned_data["area"]
        else:
            status = 400
    today = timezone.localdate()
    page = Paginator(marketplace_listings(query=query, area=area, today=today), PER_PAGE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "portal/marketplace.html",
        {"form": form, "page": page, "today": today, "query": params.urlencode()},
        status=status,
    )
