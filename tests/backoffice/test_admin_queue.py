"""The review queue: filters, ordering, assignment actions, and constant queries without a
full COUNT(*)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from certifications.enums import RequestState
from certifications.models import CertificationRequest, TransitionLog
from tests.backoffice.conftest import bulk_requests

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:certifications_certificationrequest_changelist")


def _queries(client, url=QUEUE):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return ctx.captured_queries, response


def test_queue_lists_requests_for_reviewer(client, reviewer, assigned):
    client.force_login(reviewer)
    response = client.get(QUEUE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Acme Test" in body
    assert "Acme Captions" in body
    assert "badge-" in body


def test_queue_refuses_partner_users(client, partner_admin, assigned):
    client.force_login(partner_admin)
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_queue_query_count_constant_and_no_full_count(client, reviewer, page_cache_off):
    client.force_login(reviewer)
    bulk_requests(5, prefix="small", reviewer=reviewer)
    small, _ = _queries(client)
    bulk_requests(195, prefix="large", reviewer=reviewer)
    large, response = _queries(client)
    assert len(large) == len(small), [q["sql"] for q in large]
    for query in large:
        sql = query["sql"].upper()
        assert "COUNT(*)" not in sql, sql
        assert not ("COUNT(" in sql and "CERTIFICATIONS_CERTIFICATIONREQUEST" in sql), sql
    # The page shows the first rows ordered by due date; later pages stay reachable.
    assert response.context["cl"].result_count == 200


def test_queue_default_ordering_by_due_date_nulls_last(client, reviewer):
    client.force_login(reviewer)
    rows = bulk_requests(3, prefix="order")
    CertificationRequest.objects.filter(pk=rows[0].pk).update(sla_due_at=None)
    response = client.get(QUEUE)
    listed = list(response.context["cl"].result_list)
    assert listed[-1].pk == rows[0].pk
    dues = [r.sla_due_at for r in listed[:-1]]
    assert dues == sorted(dues)


def test_sla_filter(client, reviewer):
    client.force_login(reviewer)
    rows = bulk_requests(3, prefix="sla")
    now = timezone.now()
    CertificationRequest.objects.filter(pk=rows[0].pk).update(sla_due_at=now - dt.timedelta(days=1))
    CertificationRequest.objects.filter(pk=rows[1].pk).update(sla_due_at=now + dt.timedelta(days=1))
    CertificationRequest.objects.filter(pk=rows[2].pk).update(
        sla_due_at=now + dt.timedelta(days=30)
    )
    for value, expected in (("overdue", rows[0]), ("due_soon", rows[1]), ("on_track", rows[2])):
        response = client.get(QUEUE, {"sla": value})
        assert [r.pk for r in response.context["cl"].result_list] == [expected.pk]


def test_reviewer_filter_me_and_unassigned(client, reviewer, other_reviewer):
    client.force_login(reviewer)
    mine = bulk_requests(2, prefix="mine", reviewer=reviewer)
    free = bulk_requests(1, prefix="free")
    bulk_requests(1, prefix="theirs", reviewer=other_reviewer)
    response = client.get(QUEUE, {"reviewer": "me"})
    assert {r.pk for r in response.context["cl"].result_list} == {r.pk for r in mine}
    response = client.get(QUEUE, {"reviewer": "none"})
    assert {r.pk for r in response.context["cl"].result_list} == {r.pk for r in free}


def test_search_by_partner_name(client, reviewer):
    client.force_login(reviewer)
    bulk_requests(3, prefix="find")
    response = client.get(QUEUE, {"q": "find partner 2"})
    assert [r.integration__partner__name for r in response.context["cl"].result_list] == [
        "find partner 2"
    ]


def test_action_assign_to_me(client, reviewer, other_reviewer, draft, partner_admin):
    from certifications import services

    request = services.request_submit(request=draft, actor=partner_admin)
    client.force_login(reviewer)
    response = client.post(
        QUEUE, {"action": "assign_to_me", "_selected_action": [request.pk]}, follow=True
    )
    assert response.status_code == 200
    request.refresh_from_db()
    assert request.assigned_reviewer == reviewer
    assert TransitionLog.objects.filter(request=request, transition="assign").count() == 1


def test_action_assign_to_reviewer_needs_manager(
    client, manager, reviewer, other_reviewer, draft, partner_admin
):
    from certifications import services

    request = services.request_submit(request=draft, actor=partner_admin)
    data = {"action": "assign_to_reviewer", "_selected_action": [request.pk]}
    # A reviewer cannot assign someone else: refused by the service, shown as a message.
    client.force_login(reviewer)
    page = client.post(QUEUE, data)
    assert page.status_code == 200
    assert "Assign to a reviewer" in page.content.decode()
    response = client.post(
        QUEUE, {**data, "apply": "1", "reviewer": other_reviewer.pk}, follow=True
    )
    assert "Only partner managers assign other reviewers." in response.content.decode()
    request.refresh_from_db()
    assert request.assigned_reviewer is None
    # A manager can (bulk) assign.
    client.force_login(manager)
    client.post(QUEUE, {**data, "apply": "1", "reviewer": other_reviewer.pk})
    request.refresh_from_db()
    assert request.assigned_reviewer == other_reviewer


def test_assign_refused_for_draft_is_a_message(client, reviewer, draft):
    client.force_login(reviewer)
    response = client.post(
        QUEUE, {"action": "assign_to_me", "_selected_action": [draft.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "Only submitted requests can be assigned." in response.content.decode()
    draft.refresh_from_db()
    assert draft.assigned_reviewer is None
    assert draft.state == RequestState.DRAFT


def test_queue_rows_from_the_row_template_keep_the_changelist(client, reviewer, other_reviewer):
    """The rows are drawn by the queue's row template (no per-cell admin rendering), inside
    the changelist: action checkboxes, links to the request page, sortable headers, the
    search box, the filters and the actions; staff see every partner's requests."""
    client.force_login(reviewer)
    rows = bulk_requests(2, prefix="tpl", reviewer=other_reviewer)
    response = client.get(QUEUE)
    body = response.content.decode()
    assert response.templates[0].name == "admin/reviews/request_changelist.html"
    assert "admin/change_list_results.html" not in [t.name for t in response.templates]
    for r in rows:
        change = reverse("admin:certifications_certificationrequest_change", args=[r.pk])
        assert f'name="_selected_action" value="{r.pk}" class="action-select"' in body
        assert f'<a href="{change}">{r.integration.name}</a>' in body
        assert r.integration.partner.name in body  # two partners: staff see both
    assert body.count(f">{other_reviewer.username}<") == 2
    assert 'id="result_list"' in body and 'id="searchbar"' in body
    assert 'id="changelist-filter"' in body and 'name="action"' in body
    assert 'class="sortable' in body and "?o=" in body
    # Sorting by a column still works through the admin's own ordering.
    response = client.get(QUEUE, {"o": "-1"})
    # The page's rows are values (named tuples), not model instances.
    names = [r.integration__partner__name for r in response.context["cl"].result_list]
    assert names == ["tpl partner 1", "tpl partner 0"]


def test_search_matches_every_word_in_partner_integration_or_version(client, reviewer):
    client.force_login(reviewer)
    rows = bulk_requests(3, prefix="seek")
    CertificationRequest.objects.filter(pk=rows[2].pk).update(version="7.7.7-beta")

    def found(q):
        return {r.pk for r in client.get(QUEUE, {"q": q}).context["cl"].result_list}

    # Each word (or quoted phrase) must match one of the three; "1" alone is in every
    # version ("1.0.0"), so the names are searched as phrases.
    assert found('"SEEK PARTNER 1"') == {rows[1].pk}  # partner name, any case
    assert found('"integration 0"') == {rows[0].pk}  # integration name
    assert found("seek 0") == {rows[0].pk, rows[1].pk}  # "0": in "1.0.0", not "7.7.7-beta"
    assert found("7.7.7") == {rows[2].pk}  # version
    assert found('"seek integration 2" beta') == {rows[2].pk}  # a quoted phrase and a word
    assert found("seek nowhere") == set()
    assert found("seek") == {r.pk for r in rows}


def test_search_of_a_common_word_keeps_the_join(reviewer):
    """A word matching more integrations than the id cap is searched over the joined
    names (same answer), not as a long list of ids."""
    from certifications import selectors

    rows = bulk_requests(3, prefix="common")
    base = CertificationRequest.objects.all()
    by_ids = selectors.requests_matching(base, ["common", "partner 1"])
    joined = selectors.requests_matching(base, ["common", "partner 1"], id_cap=0)
    # By ids: the integrations' own query inside the request filter; joined: no such
    # subquery, the partner and integration names compared on the joined rows.
    assert str(by_ids.query).count("SELECT") > 1
    assert str(joined.query).count("SELECT") == 1
    assert set(by_ids) == set(joined) == {rows[1]}


def test_search_plans_agree_with_the_admins_own_search(reviewer):
    """However the words are searched (the rarest by id, the others on the joined names,
    the version ORed in only where some version contains the word), the answer is the
    admin's: every word in the partner name, the integration name or the version."""
    from django.db.models import Q

    from certifications import selectors

    rows = bulk_requests(12, prefix="plan")
    CertificationRequest.objects.filter(pk=rows[3].pk).update(version="3.1-plan")
    CertificationRequest.objects.filter(pk=rows[5].pk).update(version="11.0.0")
    base = CertificationRequest.objects.all()

    def admin_search(words):
        expected = base
        for word in words:
            expected = expected.filter(
                Q(integration__partner__name__icontains=word)
                | Q(integration__name__icontains=word)
                | Q(version__icontains=word)
            )
        return expected

    for words in (
        ["plan"],
        ["plan", "partner 1"],  # "partner 1" names 1, 10 and 11: it leads
        ["partner", "plan"],
        ["3.1", "plan"],  # a version and a name
        ["plan", "1"],  # short: the version is always ORed in
        ["11"],  # in a partner name and in a version
        ["nowhere"],
    ):
        expected = admin_search(words)
        for cap in (0, 1, 3, 2000):
            found = selectors.requests_matching(base, words, id_cap=cap)
            assert set(found) == set(expected), (words, cap)
    # "partner 1" is in no version: searched by id alone, no version comparison.
    by_id = str(selectors.requests_matching(base, ["partner 1"]).query)
    assert "version" not in by_id.split("WHERE", 1)[1]
    with_version = str(selectors.requests_matching(base, ["3.1"]).query)
    assert "version" in with_version.split("WHERE", 1)[1]
