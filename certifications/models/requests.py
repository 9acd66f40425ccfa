"""The certification request — one version of one integration — with its fsm transitions,
and the immutable transition log the timeline and the SLA clock are computed from."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from certifications import permissions as perms
from certifications.enums import (
    BLOCKING_FINDING_STATUSES,
    CERTIFIED_STATES,
    CORE_DOCUMENTS,
    FINAL_STATES,
    HOLDABLE_STATES,
    UPDATE_DOCUMENTS,
    ChecklistAnswer,
    DocumentType,
    EnvironmentKind,
    FindingStage,
    ProductArea,
    RequestKind,
    RequestState,
)
from certifications.models.approvals import SealAction, two_person_rule
from certifications.models.catalog import Guideline, Integration
from certifications.models.validators import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, sha_validator
from certportal.search import trigram_index


def _package_complete(request: CertificationRequest) -> bool:
    return not request.missing_items()


def _no_open_ut_findings(request: CertificationRequest) -> bool:
    return not request.open_findings(stage=FindingStage.USER_TESTING)


def _no_open_cr_findings(request: CertificationRequest) -> bool:
    return not request.open_findings(stage=FindingStage.CODE_REVIEW)


def _no_open_docs_findings(request: CertificationRequest) -> bool:
    return not request.open_findings(stage=FindingStage.DOCUMENTATION)


def _takes_docs_review(request: CertificationRequest) -> bool:
    """The program's update rule: a player-plugin update needs no code re-certification
    unless a vendor-side change is needed, so its docs-only request is reviewed on its
    documents alone. Everything else (and a docs-only request that flags a vendor-side
    change) takes the full review: user testing, then code review."""
    return request.docs_review_refusal() == ""


def _takes_full_review(request: CertificationRequest) -> bool:
    return not _takes_docs_review(request)


# Test access a module's request needs, and how the package check names what is missing.
MODULE_ENVIRONMENTS = (EnvironmentKind.MS_ADMIN, EnvironmentKind.MS_USER, EnvironmentKind.KMC)
ENVIRONMENT_MISSING = {
    EnvironmentKind.MS_ADMIN: "Add the test site's admin access.",
    EnvironmentKind.MS_USER: "Add the test site's user access.",
    EnvironmentKind.KMC: "Add access to your KMC account.",
}


class CertificationRequest(ConcurrentTransitionMixin, models.Model):
    """One version of one integration going through certification. The diagram, in code:

    draft -submit-> submitted -intake_ok-> user_testing -ut_pass-> code_review -cr_pass-> certified -publish-> published
    submitted -intake_incomplete-> changes_requested; user_testing -ut_changes-> changes_requested;
    code_review -cr_changes-> changes_requested; changes_requested -resubmit-> user_testing;
    certified/published -revoke-> revoked (a second person confirms, issues 15, 18);
    draft/submitted/changes_requested -withdraw-> withdrawn; open review states -reject-> rejected;
    submitted/user_testing/code_review -hold-> on_hold -resume-> (the state it was held in).
    Docs-only updates of player plugins: submitted -intake_docs_ok-> documentation_review
    -docs_pass-> certified; documentation_review -docs_changes-> changes_requested
    -resubmit-> documentation_review. They never enter user testing or code review.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="requests")
    version = models.CharField(max_length=40)
    kind = models.CharField(max_length=16, choices=RequestKind.choices, default=RequestKind.INITIAL)
    commit_sha = models.CharField(
        "Commit SHA", max_length=40, blank=True, validators=[sha_validator]
    )
    state = FSMField(choices=RequestState.choices, default=RequestState.DRAFT, protected=True)
    readme_confirmed = models.BooleanField(
        default=False,
        help_text="The README covers what the integration does, features, UI items changed, "
        "processes added, configuration and deployment.",
    )
    checklist = models.JSONField(default=dict, blank=True, help_text="guideline code → answer")
    change_summary = models.TextField(
        max_length=TEXT_MAX_LENGTH, blank=True, help_text="What changed (updates, resubmissions)."
    )
    vendor_side_change = models.BooleanField(default=False)
    update_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="updates"
    )
    assigned_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    held_from = models.CharField(max_length=32, blank=True)
    # SLA bookkeeping, recomputed from the transition log by the service on every transition.
    sla_target_days = models.PositiveSmallIntegerField(default=0)
    sla_elapsed_seconds = models.PositiveIntegerField(default=0)
    sla_running_since = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_reminders_sent = models.JSONField(default=list, blank=True)
    deployment_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "version"],
                condition=~Q(state__in=[RequestState.WITHDRAWN, RequestState.REJECTED]),
                name="request_one_live_per_version",
            )
        ]
        indexes = [
            # The queue's order is (SLA due, id) ascending, nulls last: with the id in the
            # index a page (and the reversed order) is a range scan, not a sort of the ties.
            models.Index(fields=["state", "sla_due_at", "id"], name="request_state_due_id"),
            # The queue's "assigned to …" filters in its order (SLA due, then id), with and
            # without a state: a page is an index range however many rows a reviewer has.
            models.Index(
                fields=["assigned_reviewer", "state", "sla_due_at", "id"],
                name="request_reviewer_state_due",
            ),
            models.Index(
                fields=["assigned_reviewer", "sla_due_at", "id"], name="request_reviewer_due"
            ),
            models.Index(fields=["sla_due_at", "id"], name="request_due_id"),
            trigram_index("version", name="request_version_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.integration} {self.version}"

    @property
    def partner_id(self) -> int:
        return self.integration.partner_id

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_certified(self) -> bool:
        return self.state in CERTIFIED_STATES

    # -- package -------------------------------------------------------------------------

    def required_documents(self) -> list[str]:
        if self.kind == RequestKind.DOCS or self.update_of_id:
            required = [DocumentType.RELEASE_NOTES]
            required += [d for d in self.flagged_documents() if d not in required]
            return required
        return list(CORE_DOCUMENTS)

    def flagged_documents(self) -> list[str]:
        return list((self.checklist or {}).get("_docs_to_update", []))

    def docs_review_refusal(self) -> str:
        """Why this request cannot take the documentation-review path ("" when it can)."""
        if self.kind != RequestKind.DOCS or not self.update_of_id:
            return (
                "Only docs-only updates of a certified integration take the documentation review."
            )
        if self.integration.product_area != ProductArea.PLAYER_PLUGIN:
            return "Only player-plugin updates may skip code re-certification."
        if self.vendor_side_change:
            return (
                "This update needs a vendor-side change, so it goes through the full review "
                "(user testing, then code review), not the documentation review."
            )
        return ""

    def update_confirmations(self) -> dict[str, str]:
        """Per document an update touches: "" (updated, uploaded anew) or why it is
        unchanged. Documents the partner has not answered for are absent."""
        checklist = self.checklist or {}
        answers = {d: "" for d in checklist.get("_docs_to_update", [])}
        for doc_type, reason in (checklist.get("_docs_unchanged") or {}).items():
            answers.setdefault(doc_type, reason)
        return answers

    def missing_items(self) -> list[str]:
        """Everything still missing from the package, in the partner's words."""
        missing: list[str] = []
        if not self.version.strip():
            missing.append("The version number.")
        if not self.commit_sha:
            missing.append("The commit SHA under review.")
        if not self.integration.github_repo:
            missing.append("The integration's GitHub repository.")
        if not self.readme_confirmed:
            missing.append("Confirm that the README covers the required topics.")
        active = list(Guideline.objects.filter(active=True).values_list("code", flat=True))
        answered = {k for k, v in (self.checklist or {}).items() if v in ChecklistAnswer.values}
        unanswered = [code for code in active if code not in answered]
        if unanswered:
            missing.append(
                f"Answer the guideline self-checklist ({len(unanswered)} item"
                f"{'s' if len(unanswered) != 1 else ''} left)."
            )
        documents = self.documents.all()
        if self.update_of_id:
            # An update's release notes and the documents it changes must be new uploads:
            # carried-over copies of the certified version do not count.
            documents = documents.filter(carried_over=False)
        present = set(documents.values_list("doc_type", flat=True))
        if self.update_of_id:
            if DocumentType.RELEASE_NOTES not in present:
                missing.append(
                    "Upload the release notes (CHANGELOG) of this version: every update "
                    "needs release notes that say what changed."
                )
            confirmed = self.update_confirmations()
            for doc_type in UPDATE_DOCUMENTS:
                if doc_type not in confirmed:
                    missing.append(
                        f"Say whether the {DocumentType(doc_type).label} was updated or why "
                        "it is unchanged."
                    )
        for doc_type in self.required_documents():
            if doc_type not in present and not (
                self.update_of_id and doc_type == DocumentType.RELEASE_NOTES
            ):
                missing.append(f"Upload the {DocumentType(doc_type).label}.")
        required = self.required_environments()
        if required:
            kinds = set(self.environments.values_list("kind", flat=True))
            missing += [ENVIRONMENT_MISSING[kind] for kind in required if kind not in kinds]
        return missing

    def required_environments(self) -> tuple[str, ...]:
        """The test access the program asks of this request: a module (MediaSpace, KAF) is
        tested on a clean test site with admin and user access and through the partner's KMC
        account; other integrations and docs-only requests need none (issue 14)."""
        if self.integration.is_module and self.kind != RequestKind.DOCS:
            return MODULE_ENVIRONMENTS
        return ()

    def open_findings(self, *, stage: str) -> list[int]:
        """Ids of this stage's findings that still block its pass transition. "addressed"
        still blocks: the reviewer has to verify the fix (`BLOCKING_FINDING_STATUSES`)."""
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("findings")
        if prefetched is not None:  # a page that already loaded the findings
            return [
                f.pk
                for f in prefetched
                if f.stage == stage and f.status in BLOCKING_FINDING_STATUSES
            ]
        return list(
            self.findings.filter(stage=stage, status__in=BLOCKING_FINDING_STATUSES).values_list(
                "pk", flat=True
            )
        )

    # -- transitions (bodies only set fields; services save, log and notify) -------------

    @transition(
        field=state,
        source=RequestState.DRAFT,
        target=RequestState.SUBMITTED,
        conditions=[_package_complete],
        permission=perms.is_request_partner_admin,
    )
    def submit(self, *, at) -> None:
        self.submitted_at = at

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.USER_TESTING,
        conditions=[_takes_full_review],
        permission=perms.is_assigned_reviewer,
    )
    def intake_ok(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.CHANGES_REQUESTED,
        permission=perms.is_assigned_reviewer,
    )
    def intake_incomplete(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.USER_TESTING,
        target=RequestState.CODE_REVIEW,
        conditions=[_no_open_ut_findings],
        permission=perms.is_assigned_reviewer,
    )
    def ut_pass(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.USER_TESTING,
        target=RequestState.CHANGES_REQUESTED,
        permission=perms.is_assigned_reviewer,
    )
    def ut_changes(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.CODE_REVIEW,
        target=RequestState.CERTIFIED,
        conditions=[_no_open_cr_findings, two_person_rule(SealAction.CERTIFY)],
        permission=perms.is_assigned_reviewer,
    )
    def cr_pass(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=RequestState.CODE_REVIEW,
        target=RequestState.CHANGES_REQUESTED,
        permission=perms.is_assigned_reviewer,
    )
    def cr_changes(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.SUBMITTED,
        target=RequestState.DOCUMENTATION_REVIEW,
        conditions=[_takes_docs_review],
        permission=perms.is_assigned_reviewer,
    )
    def intake_docs_ok(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.DOCUMENTATION_REVIEW,
        target=RequestState.CERTIFIED,
        conditions=[_no_open_docs_findings, two_person_rule(SealAction.CERTIFY)],
        permission=perms.is_assigned_reviewer,
    )
    def docs_pass(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=RequestState.DOCUMENTATION_REVIEW,
        target=RequestState.CHANGES_REQUESTED,
        permission=perms.is_assigned_reviewer,
    )
    def docs_changes(self) -> None:
        pass

    @transition(
        field=state,
        source=RequestState.CHANGES_REQUESTED,
        target=RETURN_VALUE(RequestState.USER_TESTING, RequestState.DOCUMENTATION_REVIEW),
        permission=perms.is_request_partner_admin,
    )
    def resubmit(self, *, commit_sha: str, change_summary: str) -> str:
        self.commit_sha = commit_sha
        self.change_summary = change_summary
        # A docs-only update goes back to the documentation review, never to user testing.
        if _takes_docs_review(self):
            return RequestState.DOCUMENTATION_REVIEW
        return RequestState.USER_TESTING

    @transition(
        field=state,
        source=RequestState.CERTIFIED,
        target=RequestState.PUBLISHED,
        permission=perms.is_manager,
    )
    def publish(self) -> None:
        pass

    @transition(
        field=state,
        source=[RequestState.CERTIFIED, RequestState.PUBLISHED],
        target=RequestState.REVOKED,
        conditions=[two_person_rule(SealAction.REVOKE)],
        permission=perms.is_reviewer_or_manager,
    )
    def revoke(self) -> None:
        pass

    @transition(
        field=state,
        source=[RequestState.DRAFT, RequestState.SUBMITTED, RequestState.CHANGES_REQUESTED],
        target=RequestState.WITHDRAWN,
        permission=perms.is_request_partner_admin,
    )
    def withdraw(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=[*HOLDABLE_STATES, RequestState.CHANGES_REQUESTED, RequestState.ON_HOLD],
        target=RequestState.REJECTED,
        permission=perms.is_reviewer_or_manager,
    )
    def reject(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=list(HOLDABLE_STATES),
        target=RequestState.ON_HOLD,
        permission=perms.is_reviewer_or_manager,
    )
    def hold(self) -> None:
        self.held_from = self.state

    @transition(
        field=state,
        source=RequestState.ON_HOLD,
        target=RETURN_VALUE(*HOLDABLE_STATES),
        permission=perms.is_reviewer_or_manager,
    )
    def resume(self) -> str:
        target, self.held_from = self.held_from or RequestState.SUBMITTED, ""
        return target


class TransitionLog(models.Model):
    """One immutable row per fired transition: the request's timeline and SLA source."""

    request = models.ForeignKey(CertificationRequest, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    transition = models.CharField(max_length=32)
    from_state = models.CharField(max_length=32, choices=RequestState.choices)
    to_state = models.CharField(max_length=32, choices=RequestState.choices)
    comment = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["request", "at"], name="log_request_at")]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise ValueError("Transition log rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Transition log rows are immutable.")
