"""Second-factor devices (TOTP, django-otp): the writes and checks the sign-in pages call.

A person has at most one confirmed authenticator. Setting one up creates an unconfirmed
device; confirming it with a correct code removes every other device of that person, so a
lost phone's old device stops working the moment a new one is confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Authenticator app"
THROTTLED = "Too many wrong codes. Wait a moment and try again."
WRONG_CODE = "That code is not right, or it has expired."


@dataclass(frozen=True)
class Check:
    """The outcome of a code: the device it matched, or the message to show."""

    device: TOTPDevice | None
    error: str = ""


def confirmed_devices(user: Any) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True))


def device_start(*, user: Any) -> TOTPDevice:
    """The unconfirmed device being set up for `user` (created on the first visit, reused on
    the next ones so the secret the person already scanned stays valid)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def token_check(*, devices: list[TOTPDevice], token: str) -> Check:
    """Check `token` against the person's confirmed devices, honouring django-otp's
    throttling (each wrong code makes the next try wait longer)."""
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return Check(device)
    if not any(device.verify_is_allowed()[0] for device in devices):
        return Check(None, THROTTLED)
    return Check(None, WRONG_CODE)


def device_confirm(*, device: TOTPDevice, token: str) -> Check:
    """Confirm the device being set up with a code from the app; on success it becomes the
    person's only device."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return Check(None, THROTTLED)
    if not device.verify_token(token):
        return Check(None, WRONG_CODE)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user_id).exclude(pk=device.pk).delete()
    return Check(device)
