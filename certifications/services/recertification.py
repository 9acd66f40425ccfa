"""Updates of a certified integration (re-certification): a new draft built from the last
certified package, on the path the program's update rules choose."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from certifications.enums import UPDATE_DOCUMENTS, DocumentType
from certifications.models import CertificationRequest, Document
from certifications.services.common import CertificationError
from certifications.services.package import request_create
from certifications.updates import ChangeSize, update_path


def request_start_update(
    *,
    certified: CertificationRequest,
    actor: Any,
    version: str,
    change: str,
    vendor_side_change: bool,
    change_summary: str,
    docs_to_update: list[str] | None = None,
    docs_unchanged: dict[str, str] | None = None,
) -> CertificationRequest:
    """Start an update of a certified integration from its last certified package: the
    update path decides kind and quota; documents are carried over and the ones that must
    change are flagged as required. The program asks, per document an update touches,
    whether it was updated or why it is unchanged: every one needs an answer."""
    if not certified.is_certified:
        raise CertificationError("Updates start from a certified version.", code="wrong_state")
    if change not in (ChangeSize.MINOR, ChangeSize.MAJOR):
        raise CertificationError("Say whether this is a minor fix or a major change.")
    updated = sorted(set(docs_to_update or []))
    unchanged = {
        d: (why or "").strip() for d, why in (docs_unchanged or {}).items() if d not in updated
    }
    for doc_type in UPDATE_DOCUMENTS:
        label = DocumentType(doc_type).label
        if doc_type not in updated and not unchanged.get(doc_type):
            raise CertificationError(f"Say whether the {label} was updated or why it is unchanged.")
    path = update_path(
        product_area=certified.integration.product_area,
        change=change,
        vendor_side_change=vendor_side_change,
    )
    with transaction.atomic():
        draft = request_create(
            integration=certified.integration,
            actor=actor,
            version=version,
            kind=path.kind,
            update_of=certified,
            change_summary=change_summary,
            vendor_side_change=vendor_side_change,
        )
        checklist = dict(certified.checklist or {})
        checklist["_docs_to_update"] = updated
        checklist["_docs_unchanged"] = {d: unchanged[d] for d in UPDATE_DOCUMENTS if d in unchanged}
        draft.checklist = checklist
        draft.readme_confirmed = False
        draft.save(update_fields=["checklist", "readme_confirmed"])
        latest: dict[str, Document] = {}
        for doc in certified.documents.order_by("doc_type", "-version"):
            latest.setdefault(doc.doc_type, doc)
        flagged = set(draft.required_documents())
        for doc in latest.values():
            if doc.doc_type in flagged:
                continue  # must be uploaded anew
            Document.objects.create(
                request=draft,
                doc_type=doc.doc_type,
                version=1,
                file=doc.file.name,
                original_name=doc.original_name,
                content_type=doc.content_type,
                size=doc.size,
                sha256=doc.sha256,
                carried_over=True,
                uploaded_by=doc.uploaded_by,
            )
    return draft
