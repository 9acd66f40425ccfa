"""How values are written on every page: money ("USD 6,500.00") and, as a last resort,
codes in words (issue 14: raw codes such as `user_testing` never reach a page).

`{% load display %}` then `{{ amount|money }}` or `{{ amount|money:agreement.currency }}`."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from certportal.people import display_name

register = template.Library()

DEFAULT_CURRENCY = "USD"


@register.filter
def money(value, currency: str = DEFAULT_CURRENCY) -> str:
    """`value` as "USD 6,500.00": the ISO currency code, a space, thousands separators and
    two decimals; a negative amount as "USD -10.00". Empty or non-numeric input is "—"."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return "—"
    return f"{currency or DEFAULT_CURRENCY} {amount:,.2f}"


@register.filter
def code_label(value) -> str:
    """A code without a display label in words: "more_info_requested" → "More info
    requested", "business_review.approve" → "Business review: approve". Pages use real
    labels (get_FOO_display, label maps); this is the fallback that keeps a code the
    label maps do not know from reaching the page as it is."""
    text = str(value or "")
    if not text:
        return ""
    head, _, tail = text.partition(".")
    words = head.replace("_", " ").strip().capitalize()
    return f"{words}: {tail.replace('_', ' ')}" if tail else words


@register.filter
def person(user, absent: str = "Someone") -> str:
    """A person as pages name them: the full name, else the username; `absent` ("Someone"
    unless given) when there is no one, e.g. the author of a reply whose account was
    deleted (the reply keeps a NULL author)."""
    return display_name(user, absent)
