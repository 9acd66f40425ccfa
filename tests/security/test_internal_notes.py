"""Internal reviewer notes never reach the partner (issue 15): every page a member of the
partner may open, every notification and e-mail they get, leaves them out — while the
reviewers see them and the partner sees the public replies beside them."""

from __future__ import annotations

import pytest
from django.core import mail

from certportal.models import Notification
from reviews import services as review_services
from tests.security.matrix import body, concrete_url, expectation
from tests.security.urlwalk import walk

pytestmark = pytest.mark.django_db

NOTE = "zqxinternal-reviewer-note"
PUBLIC = "zqxpublic-reviewer-question"
PARTNER_ROLES = ("viewer", "developer", "admin")


def test_internal_notes_never_reach_partner_pages_or_emails(
    world, django_capture_on_commit_callbacks
):
    finding, reviewer = world.objects["finding"], world.users["reviewer"]
    with django_capture_on_commit_callbacks(execute=True):
        review_services.finding_note_internal(finding=finding, actor=reviewer, body=NOTE)
        review_services.finding_reply(finding=finding, actor=reviewer, body=PUBLIC, question=True)
        review_services.finding_dispute(
            finding=finding, actor=world.users["developer"], reason="Not a defect, because"
        )
    seen_public = False
    pages = 0
    for route in walk():
        expect = expectation(route)
        if expect is None or route.key.startswith("admin"):
            continue
        url = concrete_url(route, world.objects)
        for role in PARTNER_ROLES:
            if role not in expect.get:
                continue
            response = world.client(role).get(url)
            assert response.status_code < 500, url
            text = body(response)
            assert NOTE not in text, (role, url)
            seen_public |= PUBLIC in text
            pages += 1
    assert pages > 20
    assert seen_public  # the page that shows the thread was among them
    members = [world.users[r] for r in PARTNER_ROLES]
    notes = Notification.objects.filter(recipient__in=members)
    assert notes.filter(body_text__contains=PUBLIC).exists()
    for n in notes:
        assert NOTE not in f"{n.subject} {n.body_text} {n.body_html}"
    for message in mail.outbox:
        content = message.body + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
        assert NOTE not in content + message.subject
    # The reviewers do see it, labelled, on the back-office request page.
    page = world.client("reviewer").get(
        f"/admin/certifications/certificationrequest/{world.objects['in_review'].pk}/change/"
    )
    assert NOTE in body(page) and "Internal note" in body(page)
