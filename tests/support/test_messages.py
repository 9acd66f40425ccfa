"""Issue 14, item 5: messages that help. E-mail links on the served address, open findings
in "changes requested" e-mails, the reviewer's comment in decisions, nobody notified of
their own action, no partner-facing copies for managers, the daily summary, and support
meetings only for initial certifications and major updates unless a manager asks."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications import services as cert_services
from certifications.models import Guideline
from certportal import delivery, digest, outbox
from certportal.models import EmailDigest, Notification, NotificationState, UserProfile
from partners import services as partner_services
from reviews import services as review_services
from support.models import SupportMeeting
from tests.certportal.test_settings import run_python
from tests.factories import UNCHANGED_DOCS, complete_package, second_approval
from tests.support.conftest import certify

pytestmark = pytest.mark.django_db


def test_email_links_use_the_served_port_unless_site_url_is_set():
    # One process reads the settings file twice: without SITE_URL, then with it.
    code = (
        "import os, runpy; os.environ.pop('SITE_URL', None); "
        "a = runpy.run_path('config/settings.py')['SITE_URL']; "
        "os.environ['SITE_URL'] = 'https://portal.example/'; "
        "b = runpy.run_path('config/settings.py')['SITE_URL']; print(a, b)"
    )
    result = run_python(code, PORT="8001")
    assert result.stdout.split() == ["http://127.0.0.1:8001", "https://portal.example"], (
        result.stderr
    )


def _in_review(draft, partner_admin, reviewer):
    request = cert_services.request_submit(request=draft, actor=partner_admin)
    request = cert_services.request_assign(request=request, reviewer=reviewer, actor=reviewer)
    return cert_services.request_transition(request=request, name="intake_ok", actor=reviewer)


def test_changes_requested_email_lists_open_findings_and_the_comment(
    draft, partner_admin, reviewer, settings
):
    settings.SITE_URL = "https://portal.example"
    request = _in_review(draft, partner_admin, reviewer)
    guideline = Guideline.objects.filter(active=True).order_by("code").first()
    finding = review_services.finding_add(
        request=request,
        actor=reviewer,
        guideline=guideline,
        category="functional",
        severity="major",
        title="Captions vanish on replay",
        reviewer_note="Replay drops the track.",
    )
    cert_services.request_transition(
        request=request, name="ut_changes", actor=reviewer, comment="Fix the replay bug."
    )
    [mail] = Notification.objects.filter(event="request_ut_changes")
    assert mail.recipient == partner_admin  # not the reviewer who asked for the changes
    assert "Reviewer's comment:\nFix the replay bug." in mail.body_text
    assert "Open findings (1):" in mail.body_text
    assert f"{guideline.code} {guideline.title} · Captions vanish on replay" in mail.body_text
    thread = "https://portal.example" + reverse("portal:finding_thread", args=[finding.pk])
    assert thread in mail.body_text
    assert f"<strong>{guideline.code}</strong>" in mail.body_html and thread in mail.body_html


def test_decision_email_carries_the_reviewers_comment(draft, partner_admin, reviewer):
    request = _in_review(draft, partner_admin, reviewer)
    request = cert_services.request_transition(request=request, name="ut_pass", actor=reviewer)
    second_approval(request)  # the two-person rule
    cert_services.request_transition(
        request=request, name="cr_pass", actor=reviewer, comment="Clean, well-tested code."
    )
    [mail] = Notification.objects.filter(event="request_cr_pass")
    assert "Reviewer's comment:\nClean, well-tested code." in mail.body_text
    assert not Notification.objects.filter(recipient=reviewer, event="request_cr_pass").exists()


def test_managers_get_no_partner_facing_copies(eligible_partner, partner_admin, manager):
    agreement = eligible_partner.agreements.get()
    assert not Notification.objects.filter(
        recipient=manager, event__in=["agreement_activated", "agreement_sent"]
    ).exists()
    assert Notification.objects.filter(
        recipient=partner_admin, event="agreement_activated"
    ).exists()
    sent = partner_services.agreement_expiry_reminders(
        today=agreement.term_end - dt.timedelta(days=30)
    )
    assert sent == 1
    assert not Notification.objects.filter(recipient=manager, event="agreement_expiring").exists()
    staff_copy = Notification.objects.get(recipient=manager, event="agreement_expiring_staff")
    assert staff_copy.link == reverse("manage:partner", args=[eligible_partner.pk])
    assert Notification.objects.filter(recipient=partner_admin, event="agreement_expiring").exists()


def test_daily_summary_replaces_single_emails(client, partner_admin, mailoutbox):
    client.force_login(partner_admin)
    response = client.post(
        reverse("notifications:preferences"), {"email_noncritical": "on", "email_digest": "daily"}
    )
    assert response.status_code == 302
    assert UserProfile.objects.get(user=partner_admin).email_digest == EmailDigest.DAILY
    rows = [
        outbox.notify(recipients=[partner_admin], event="generic", subject=s, link="/portal/")[0]
        for s in ("First thing", "Second thing")
    ]
    assert delivery.deliver_many([r.pk for r in rows]) == {NotificationState.DIGEST: 2}
    assert mailoutbox == []
    assert digest.digest_send_daily() == 1
    [mail] = mailoutbox
    assert mail.subject == "Your daily summary: 2 notifications"
    assert "First thing" in mail.body and "Second thing" in mail.body
    assert set(Notification.objects.values_list("state", flat=True)) == {NotificationState.SENT}
    assert digest.digest_send_daily() == 0  # each row once


@pytest.fixture
def plugin_minor_certified(certified, partner_admin, reviewer):
    update = cert_services.request_start_update(
        certified=certified,
        actor=partner_admin,
        version="1.0.1",
        change="minor",
        vendor_side_change=False,
        change_summary="Fix",
        docs_unchanged=UNCHANGED_DOCS,
    )
    update = complete_package(update, actor=partner_admin)
    return certify(update, admin=partner_admin, reviewer=reviewer)


def test_minor_update_opens_no_meeting_unless_a_manager_asks(
    client, plugin_minor_certified, manager, support_agent, django_capture_on_commit_callbacks
):
    assert not SupportMeeting.objects.filter(request=plugin_minor_certified).exists()
    url = reverse("support_staff:meeting_open")
    client.force_login(support_agent)
    assert client.post(url, {"request": plugin_minor_certified.pk}).status_code == 403
    client.force_login(manager)
    html = client.get(reverse("support_staff:meetings")).content.decode()
    assert "Ask for a support meeting" in html
    assert f'value="{plugin_minor_certified.pk}"' in html
    response = client.post(url, {"request": plugin_minor_certified.pk})
    meeting = SupportMeeting.objects.get(request=plugin_minor_certified)
    assert response.url == reverse("support_staff:meeting", args=[meeting.pk])
    assert client.post(url, {"request": plugin_minor_certified.pk}).status_code == 302
    assert SupportMeeting.objects.filter(request=plugin_minor_certified).count() == 1


def test_meeting_cannot_be_held_before_its_time(certified, support_agent):
    from support import services
    from support.services.shared import SupportError

    meeting = SupportMeeting.objects.get(request=certified)
    meeting = services.meeting_schedule(
        meeting=meeting,
        actor=support_agent,
        when=timezone.now() + dt.timedelta(hours=2),
        vendor_attendees="Sam",
        partner_attendees="Esca",
    )
    with pytest.raises(SupportError, match="once that time has come"):
        services.meeting_mark_held(
            meeting=meeting,
            actor=support_agent,
            notes="",
            escalation_path="L1 → L2",
            customer_contact="Helpdesk",
            vendor_first_line="Outages",
            support_tool_access="Two seats",
        )
    meeting.refresh_from_db()
    assert meeting.state == "scheduled"
