import pytest
from cryptography.fernet import Fernet
from django.db import connection

from certifications.models import TestEnvironment
from certportal import crypto
from tests.factories import draft_request

pytestmark = pytest.mark.django_db


def test_password_is_encrypted_at_rest_and_round_trips(
    module_integration, partner_admin, eligible_partner
):
    request = draft_request(module_integration, actor=partner_admin)
    env = request.environments.get(kind="ms_admin")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password FROM certifications_testenvironment WHERE id = %s", [env.pk]
        )
        stored = cursor.fetchone()[0]
    assert "secret-" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    fresh = TestEnvironment.objects.get(pk=env.pk)
    assert fresh.password.reveal().startswith("secret-ms_")
    assert str(fresh.password) == "••••••••"
    assert "secret" not in repr(fresh.password)


def test_tampered_ciphertext_fails_closed(module_integration, partner_admin, eligible_partner):
    request = draft_request(module_integration, actor=partner_admin)
    env = request.environments.get(kind="ms_admin")
    token = TestEnvironment.objects.get(pk=env.pk).password.token
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    TestEnvironment.objects.filter(pk=env.pk).update(password=crypto.EncryptedSecret(tampered))
    with pytest.raises(crypto.DecryptionFailed, match="could not be decrypted"):
        TestEnvironment.objects.get(pk=env.pk).password.reveal()


def test_key_rotation_keeps_old_rows_readable(settings):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = crypto.encrypt("pw")
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    assert crypto.decrypt(token) == "pw"
    rotated = crypto.rotate(token)
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert crypto.decrypt(rotated) == "pw"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(token)


def test_rotate_field_keys_reencrypts_every_row(
    settings, module_integration, partner_admin, eligible_partner
):
    import io

    from django.core.management import call_command

    old = settings.FIELD_ENCRYPTION_KEYS[0]
    draft_request(module_integration, actor=partner_admin)
    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_field_keys", stdout=out)
    # A module's request: the test site's admin and user access and the KMC account.
    assert "re-encrypted 3 row(s)" in out.getvalue()
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key can now be removed
    for env in TestEnvironment.objects.all():
        assert env.password.reveal().startswith("secret-")
