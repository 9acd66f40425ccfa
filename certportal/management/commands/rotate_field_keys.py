"""Re-encrypt every encrypted field with the newest key in FIELD_ENCRYPTION_KEYS, so an old
key can then be removed from the setting."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from certportal.crypto import EncryptedSecret, EncryptedTextField, rotate


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the first (newest) FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            names = [f.attname for f in fields]
            count = 0
            with transaction.atomic():
                for row in model._base_manager.select_for_update().only("pk", *names).iterator():
                    updates = {}
                    for name in names:
                        value = getattr(row, name)
                        if value:
                            updates[name] = EncryptedSecret(rotate(value.token))
                    if updates:
                        model._base_manager.filter(pk=row.pk).update(**updates)
                        count += 1
            self.stdout.write(f"{model._meta.label}: re-encrypted {count} row(s)")
            total += count
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) now use the newest key."))
