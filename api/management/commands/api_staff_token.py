"""Create an API token for a member of vendor staff (a reviewer's or manager's script).
The token is printed once; only its fingerprint is stored."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from certportal.errors import ProgramError
from partners.services import api_access


class Command(BaseCommand):
    help = "Create a staff API token (printed once) for USERNAME."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="staff script")
        parser.add_argument("--scope", choices=["read", "write"], default="read")
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args, username, name, scope, days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            token, raw = api_access.api_token_create(
                actor=user, name=name, scope=scope, expires_in_days=days, partner_id=None
            )
        except ProgramError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Token {token.name!r} for {username}, {scope}, expires {token.expires_at:%Y-%m-%d}:"
        )
        self.stdout.write(raw)
