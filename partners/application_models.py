"""The program's first step: a public application to join, decided by a partner manager.

Imported by partners.models, so Django registers it with the partners app."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from partners import permissions
from partners.enums import OPEN_APPLICATION_STATES, ApplicationState, Standing

APPLICATION_NOTE_MAX_LENGTH = 2_000
APPLICATION_TEXT_MAX_LENGTH = 5_000


class ProgramApplication(ConcurrentTransitionMixin, models.Model):
    """What a company sends from the public "Apply" page. Accepting it creates the Partner
    (`partner`) and invites the contact as its first admin; every decision is audited with
    who, when and why (certportal.AuditEvent, object type partners.programapplication)."""

    company = models.CharField(max_length=200)
    website = models.URLField(max_length=200)
    contact_name = models.CharField(max_length=120)
    contact_email = models.EmailField(max_length=254)
    # The vendor's Technology Partner id; blank with `not_yet_partner` when there is none.
    technology_partner_id = models.CharField("Technology Partner id", max_length=40, blank=True)
    not_yet_partner = models.BooleanField("Not yet a Technology Partner", default=False)
    # Product area codes (certifications.enums.ProductArea values; partners cannot import
    # certifications, so the portal's form checks them).
    product_areas = models.JSONField(default=list)
    integration_summary = models.TextField(
        "Planned integration", max_length=APPLICATION_TEXT_MAX_LENGTH
    )
    state = FSMField(
        choices=ApplicationState.choices, default=ApplicationState.RECEIVED, protected=True
    )
    # The last message from the partner team (more information asked for, or why declined).
    manager_message = models.TextField(max_length=APPLICATION_NOTE_MAX_LENGTH, blank=True)
    applicant_reply = models.TextField(max_length=APPLICATION_TEXT_MAX_LENGTH, blank=True)
    standing = models.CharField(max_length=16, choices=Standing.choices, blank=True)
    partner = models.OneToOneField(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="application",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="application_state_created")]

    def __str__(self) -> str:
        return f"Application of {self.company}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_APPLICATION_STATES

    @transition(
        field=state,
        source=list(OPEN_APPLICATION_STATES),
        target=ApplicationState.MORE_INFO_REQUESTED,
        permission=permissions.can_manage_program,
    )
    def request_info(self, *, by, at: dt.datetime, message: str) -> None:
        self.decided_by, self.decided_at, self.manager_message = by, at, message

    @transition(
        field=state,
        source=ApplicationState.MORE_INFO_REQUESTED,
        target=ApplicationState.RECEIVED,
    )
    def answer(self, *, reply: str) -> None:
        self.applicant_reply = reply

    @transition(
        field=state,
        source=list(OPEN_APPLICATION_STATES),
        target=ApplicationState.ACCEPTED,
        permission=permissions.can_manage_program,
    )
    def accept(self, *, by, at: dt.datetime, partner, standing: str, message: str = "") -> None:
        self.decided_by, self.decided_at = by, at
        self.partner, self.standing, self.manager_message = partner, standing, message

    @transition(
        field=state,
        source=list(OPEN_APPLICATION_STATES),
        target=ApplicationState.DECLINED,
        permission=permissions.can_manage_program,
    )
    def decline(self, *, by, at: dt.datetime, message: str) -> None:
        self.decided_by, self.decided_at, self.manager_message = by, at, message
