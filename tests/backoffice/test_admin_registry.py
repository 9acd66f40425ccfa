"""Every model of the four apps is in the admin, state fields are read-only, secrets are
never form fields, and every changelist renders for a reviewer."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

APPS = ("certportal", "partners", "certifications", "reviews")
MODELS = [m for label in APPS for m in apps.get_app_config(label).get_models()]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_model_registered_with_state_read_only(model, django_user_model):
    assert model in admin.site._registry
    model_admin = admin.site._registry[model]
    root = django_user_model.objects.create_superuser("root-x", "root@example.com", "pw-x-12345")
    request = RequestFactory().get("/admin/")
    request.user = root
    field_names = {f.name for f in model._meta.get_fields()}
    if "state" in field_names:
        assert "state" in model_admin.get_readonly_fields(request)
    form = model_admin.get_form(request)
    assert "state" not in form.base_fields
    assert "password" not in form.base_fields
    assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_changelist_renders_for_reviewer(client, reviewer, model):
    client.force_login(reviewer)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200


def test_admin_index_lists_review_queue(client, reviewer):
    client.force_login(reviewer)
    body = client.get(reverse("admin:index") + "?models=1").content.decode()
    assert reverse("admin:certifications_certificationrequest_changelist") in body
