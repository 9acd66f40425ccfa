"""Every free-text field has a length cap (issue 20: a 100,000-character reply was accepted
and a ticket page grew to 1.2 MB).

Two structural checks keep it so: every text field of a project form has a max_length, and
every TextField of the project's models has one (so ModelForms and the admin enforce it),
apart from the columns listed in UNCAPPED with the reason. Then the caps at work: an
over-long reply is a form error that keeps what was typed, and nothing is saved."""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse

from certifications.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH
from reviews.models import FindingReply
from support.models import TicketEvent
from tests.security.hostile import FORM_MODULES, PROJECT_PACKAGES, form_field_names

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("partners", "certifications", "reviews", "support")
# TextFields nobody types into.
UNCAPPED = {
    "certifications.TestEnvironment.password": "ciphertext of a form field capped at 500",
    "reviews.RepoAccessGrant.last_error": "written by the GitHub sync from API errors",
}


def _project_form_classes():
    import importlib

    for module in FORM_MODULES:
        importlib.import_module(module)
    form_field_names()  # the same discovery the crawl uses
    pending, seen = [forms.Form, forms.ModelForm], []
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub in seen:
                continue
            seen.append(sub)
            pending.append(sub)
    return [c for c in seen if c.__module__.split(".")[0] in PROJECT_PACKAGES]


def _instance(form_class):
    """A form as the views build it (some take their choices as keyword arguments)."""
    from certifications.models import Integration
    from partners.models import Partner

    extra = {
        "TicketForm": {"integrations": Integration.objects.none()},
        "QueueFilterForm": {"integrations": Integration.objects.none()},
        "PartnerActionForm": {"actions": ["send"]},
        "ChecklistForm": {"guidelines": []},
        "FindingForm": {"guidelines": []},
    }.get(form_class.__name__, {})
    if issubclass(form_class, forms.Form) and "partner" in form_class.__init__.__code__.co_varnames:
        extra["partner"] = Partner(pk=1)
    return form_class(**extra)


def test_every_text_field_of_a_project_form_has_a_cap():
    uncapped = []
    classes = _project_form_classes()
    assert len(classes) > 30
    for form_class in classes:
        for name, field in _instance(form_class).fields.items():
            if isinstance(field, forms.CharField) and field.max_length is None:
                uncapped.append(f"{form_class.__module__}.{form_class.__name__}.{name}")
    assert not uncapped, f"give these form fields a max_length: {uncapped}"


def test_every_text_column_of_the_domain_has_a_cap():
    uncapped = []
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                label = f"{model._meta.label}.{field.name}"
                if (
                    isinstance(field, models.TextField)
                    and field.max_length is None
                    and label not in UNCAPPED
                ):
                    uncapped.append(label)
    assert not uncapped, f"give these TextFields a max_length (and a migration): {uncapped}"


def test_model_forms_and_the_admin_take_the_cap_from_the_model():
    from partners.forms import BusinessReviewForm

    field = BusinessReviewForm().fields["use_cases"]
    assert field.max_length == TEXT_MAX_LENGTH
    assert 'maxlength="10000"' in str(BusinessReviewForm()["use_cases"])
    assert TicketEvent._meta.get_field("body").formfield().max_length == TEXT_MAX_LENGTH


def test_a_100000_character_finding_reply_is_a_form_error_that_keeps_the_text(world):
    finding = world.objects["finding"]
    typed = "See the new build. " + "r" * 100_000
    response = world.client("developer").post(
        reverse("portal:finding_reply", args=[finding.pk]), {"body": typed}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Ensure this value has at most {TEXT_MAX_LENGTH} characters" in html
    assert typed in html
    assert not FindingReply.objects.filter(finding=finding).exists()


def test_a_100000_character_ticket_reply_is_a_form_error_that_keeps_the_text(world):
    ticket = world.objects["ticket"]
    before = TicketEvent.objects.filter(ticket=ticket).count()
    typed = "Still broken. " + "t" * 100_000
    response = world.client("developer").post(
        reverse("support:ticket_action", args=[ticket.pk, "reply"]), {"body": typed}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Ensure this value has at most {TEXT_MAX_LENGTH} characters" in html
    assert typed in html
    assert TicketEvent.objects.filter(ticket=ticket).count() == before


def test_a_reply_at_the_cap_is_accepted(world):
    ticket = world.objects["ticket"]
    response = world.client("developer").post(
        reverse("support:ticket_action", args=[ticket.pk, "reply"]),
        {"body": "y" * TEXT_MAX_LENGTH},
    )
    assert response.status_code == 302
    assert TicketEvent.objects.filter(ticket=ticket, body="y" * TEXT_MAX_LENGTH).exists()


def test_a_desk_note_over_the_cap_keeps_the_text(world):
    ticket = world.objects["ticket"]
    typed = "Internal: " + "n" * TEXT_MAX_LENGTH
    response = world.client("support").post(
        reverse("support_staff:ticket_action", args=[ticket.pk, "note"]), {"note-body": typed}
    )
    assert response.status_code == 400
    assert typed in response.content.decode()


def test_a_manager_comment_over_the_note_cap_is_refused(world):
    partner = world.objects["partner"]
    response = world.client("manager").post(
        reverse("manage:partner", args=[partner.pk]),
        {"action": "standing", "standing": "good", "note": "s" * (NOTE_MAX_LENGTH + 1)},
    )
    assert response.status_code == 400
    assert f"Ensure this value has at most {NOTE_MAX_LENGTH} characters" in (
        response.content.decode()
    )
