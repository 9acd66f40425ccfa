"""Idempotent demo data for `make run`: users, roles and (from the program apps) partners."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from certportal import roles
from certportal.models import UserProfile

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo credential, refused with DEBUG off

# username, full name, e-mail, staff group (None for partner users)
DEMO_USERS = [
    ("acme-admin", "Ada Acme", "ada@acme.example", None),
    ("acme-dev", "Dev Acme", "dev@acme.example", None),
    ("acme-viewer", "Vic Acme", "vic@acme.example", None),
    ("globex-admin", "Gale Globex", "gale@globex.example", None),
    ("reviewer", "Rita Reviewer", "rita@vendor.example", roles.REVIEWER),
    ("reviewer2", "Rob Reviewer", "rob@vendor.example", roles.REVIEWER),
    ("manager", "Mona Manager", "mona@vendor.example", roles.PARTNER_MANAGER),
    ("support", "Sam Support", "sam@vendor.example", roles.SUPPORT_AGENT),
]
# The demo reviewers' GitHub logins, so the integration pages' access panel shows real rows
# (pending while GitHub is not configured).
DEMO_GITHUB_LOGINS = {"reviewer": "rita-reviews", "reviewer2": "rob-reviews"}


def _record_demo_access() -> None:
    """Record the demo's repository access rows now (pending: GitHub is not configured),
    rather than when a worker gets round to the queued sync."""
    from certifications.enums import OPEN_STATES
    from certifications.models import Integration
    from reviews import access, github

    if github.is_configured():
        return  # the queued syncs talk to the real GitHub
    for integration in Integration.objects.filter(requests__state__in=OPEN_STATES).distinct():
        access.repo_access_sync(integration=integration)


class Command(BaseCommand):
    help = "Create or refresh the demo users and program data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with the password 'demo'; refusing with DEBUG off. "
                "Use --force on a throwaway instance only."
            )
        from devtools.demo import seed_program

        # The demo's history would otherwise e-mail (print) every notification it creates;
        # they stay in each user's in-app list.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
            transaction.atomic(),
        ):
            users = self._users()
            seed_program(users=users, stdout=self.stdout)
            _record_demo_access()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password 'demo'):"))
        for username, name, _email, group in DEMO_USERS:
            self.stdout.write(f"  {username:<13} {name:<14} {group or 'partner user'}")

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for username, name, email, group in DEMO_USERS:
            first, last = name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": email},
            )
            if created or not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
            user.is_staff = group is not None
            user.email = email
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            if username in DEMO_GITHUB_LOGINS:
                UserProfile.objects.update_or_create(
                    user=user, defaults={"github_login": DEMO_GITHUB_LOGINS[username]}
                )
            users[username] = user
        return users
