"""The back office loads a person's groups and permissions in one hand-written query
(reviews.admin.common.prime_permission_cache): what it primes must be exactly what
ModelBackend and certportal.roles would have read."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission

from certportal import roles
from reviews.admin.common import prime_permission_cache
from tests.factories import UserFactory, staff_user

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_primed_permissions_and_groups_are_model_backends(manager, reviewer):
    both = staff_user("both-t", roles.REVIEWER)
    both.groups.add(Group.objects.get(name=roles.PARTNER_MANAGER))
    direct = UserFactory(is_staff=True)
    direct.user_permissions.add(*Permission.objects.filter(codename__startswith="view_")[:3])
    # A permission both directly and through a group: listed once.
    shared = Permission.objects.get(codename="view_partner")
    Group.objects.get(name=roles.REVIEWER).permissions.add(
        shared, Permission.objects.get(codename="view_integration")
    )
    both.user_permissions.add(shared)
    nobody = UserFactory()
    for user in (manager, reviewer, both, direct, nobody):
        primed = fresh(user)
        prime_permission_cache(primed)
        expected = fresh(user)
        assert primed._perm_cache == expected.get_all_permissions(), user.username
        assert primed._certportal_groups == set(expected.groups.values_list("name", flat=True))
        assert roles.group_names(primed) == roles.group_names(fresh(user))
    assert shared.codename in {p.split(".")[1] for p in fresh(both).get_all_permissions()}


def test_inactive_and_superusers(reviewer):
    inactive = fresh(reviewer)
    inactive.is_active = False
    prime_permission_cache(inactive)
    assert getattr(inactive, "_perm_cache", None) is None  # nothing primed: no rights

    boss = UserFactory(is_staff=True, is_superuser=True)
    primed = fresh(boss)
    prime_permission_cache(primed)
    assert primed._certportal_groups == frozenset()
    assert getattr(primed, "_perm_cache", None) is None
    assert primed.has_perm("certifications.change_certificationrequest")
