"""Two concurrent submissions can never overspend the quota (row lock on the agreement)."""

import threading

import pytest
from django.db import connection

from certifications import services
from certifications.enums import RequestState
from certportal.errors import ProgramError
from partners import selectors as partner_selectors
from tests.factories import IntegrationFactory, draft_request, qualify


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_submissions_take_the_last_unit_once(
    require_postgres, partner, partner_admin, manager
):
    agreement = qualify(partner, manager=manager, major=1)
    drafts = [
        draft_request(IntegrationFactory(partner=partner), actor=partner_admin, version="1.0")
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(request):
        try:
            barrier.wait(timeout=10)
            services.request_submit(request=request, actor=partner_admin)
            outcomes.append("ok")
        except ProgramError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["ok", "unmet"]
    states = sorted(d.__class__.objects.get(pk=d.pk).state for d in drafts)
    assert states == [RequestState.DRAFT, RequestState.SUBMITTED]
    line = partner_selectors.quota_summary(agreement=agreement)["major"]
    assert (line.used, line.left) == (1, 0)
