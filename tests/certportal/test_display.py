"""The `display` template filters: how people and amounts are written on pages."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines

from tests.factories import UserFactory


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load display %}" + source).render(context)


@pytest.mark.django_db
def test_person_is_the_full_name_else_the_username_else_someone():
    named = UserFactory(username="ada", first_name="Ada", last_name="Lovelace")
    plain = UserFactory(username="grace", first_name="", last_name="")
    assert render("{{ u|person }}", u=named) == "Ada Lovelace"
    assert render("{{ u|person }}", u=plain) == "grace"
    # The author of a reply or approval whose account was deleted (the FK set to NULL).
    assert render("{{ u|person }}", u=None) == "Someone"
    assert render('{{ u|person:"a former reviewer" }}', u=None) == "a former reviewer"
    assert render("{{ u|person }}", u=AnonymousUser()) == "Someone"
    # Names are escaped like any other value.
    hostile = UserFactory(username="x", first_name="<b>", last_name="&")
    assert render("{{ u|person }}", u=hostile) == "&lt;b&gt; &amp;"


def test_money_writes_the_currency_and_two_decimals():
    assert render("{{ v|money }}", v="6500") == "USD 6,500.00"
    assert render('{{ v|money:"EUR" }}', v=-10) == "EUR -10.00"
    assert render("{{ v|money }}", v=None) == "—"
