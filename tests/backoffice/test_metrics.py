"""Program metrics computed in the database match a hand-built transition log."""

import datetime as dt
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from certifications.enums import RequestKind, RequestState
from certifications.models import Certificate, CertificationRequest, TransitionLog
from reviews import metrics
from reviews.metrics import store
from tests.backoffice.conftest import bulk_requests
from tests.factories import IntegrationFactory, PartnerFactory

pytestmark = pytest.mark.django_db

DAY = 86400
T0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def _request(integration, version, kind, state, **fields):
    return CertificationRequest.objects.create(
        integration=integration, version=version, kind=kind, state=state, **fields
    )


def _log(request, steps):
    """steps: (day offset, transition, from, to)."""
    TransitionLog.objects.bulk_create(
        [
            TransitionLog(
                request=request,
                transition=name,
                from_state=src,
                to_state=dst,
                at=T0 + dt.timedelta(days=day),
            )
            for day, name, src, dst in steps
        ]
    )


@pytest.fixture
def fixture_log():
    integration = IntegrationFactory(partner=PartnerFactory())
    a = _request(
        integration,
        "1.0",
        RequestKind.MINOR,
        RequestState.CERTIFIED,
        submitted_at=T0,
        closed_at=T0 + dt.timedelta(days=10),
        sla_target_days=14,
        sla_elapsed_seconds=5 * DAY,
    )
    _log(
        a,
        [
            (0, "submit", "draft", "submitted"),
            (0.5, "assign", "submitted", "submitted"),  # not a stage change: skipped
            (1, "intake_ok", "submitted", "user_testing"),
            (3, "ut_changes", "user_testing", "changes_requested"),
            (5, "resubmit", "changes_requested", "user_testing"),
            (6, "ut_pass", "user_testing", "code_review"),
            (10, "cr_pass", "code_review", "certified"),
        ],
    )
    b = _request(
        integration, "2.0", RequestKind.MINOR, RequestState.CHANGES_REQUESTED, submitted_at=T0
    )
    _log(
        b,
        [
            (0, "submit", "draft", "submitted"),
            (3, "intake_ok", "submitted", "user_testing"),
            (7, "ut_pass", "user_testing", "code_review"),
            (8, "cr_changes", "code_review", "changes_requested"),
        ],
    )
    c = _request(integration, "3.0", RequestKind.MAJOR, RequestState.USER_TESTING, submitted_at=T0)
    _log(c, [(0, "submit", "draft", "submitted"), (2, "intake_ok", "submitted", "user_testing")])
    d = _request(
        integration,
        "4.0",
        RequestKind.MINOR,
        RequestState.PUBLISHED,
        submitted_at=T0,
        closed_at=T0 + dt.timedelta(days=20),
        sla_target_days=14,
        sla_elapsed_seconds=20 * DAY,
    )
    _request(integration, "5.0", RequestKind.MINOR, RequestState.DRAFT)
    now = timezone.now()
    last_month = (now.replace(day=1) - dt.timedelta(days=1)).replace(day=15)
    Certificate.objects.create(
        request=a, version="1.0", commit_sha="abc1234", issued_at=now, valid_until=now.date()
    )
    Certificate.objects.create(
        request=d, version="4.0", commit_sha="abc1234", issued_at=last_month, valid_until=now.date()
    )
    return a, b, c, d


def _days(spread):
    return (spread.count, round(spread.median / DAY, 6), round(spread.p90 / DAY, 6))


def test_stage_times_match_hand_computed(fixture_log):
    by_stage = {s.group: s for s in metrics.stage_times()}
    assert _days(by_stage["submitted"]) == (3, 2.0, 2.8)
    assert _days(by_stage["user_testing"]) == (3, 2.0, 3.6)
    assert _days(by_stage["code_review"]) == (2, 2.5, 3.7)
    assert _days(by_stage["changes_requested"]) == (1, 2.0, 2.0)
    assert by_stage["on_hold"].count == 0
    assert by_stage["on_hold"].median is None


def test_python_percentile_agrees():
    assert metrics.percentile([1, 2, 3], 0.9) == pytest.approx(2.8)
    assert metrics.percentile([4, 1], 0.5) == pytest.approx(2.5)
    assert metrics.percentile([], 0.5) is None


def test_turnaround_sla_and_bounce(fixture_log):
    turnaround = {s.group: s for s in metrics.turnaround_by_kind()}
    assert _days(turnaround["minor"]) == (2, 15.0, 19.0)
    assert turnaround["major"].count == 0
    sla = {r.group: r for r in metrics.sla_hit_rate_by_kind()}
    assert (sla["minor"].numerator, sla["minor"].denominator, sla["minor"].rate) == (1, 2, 0.5)
    assert sla["major"].rate is None
    bounce = {r.group: r for r in metrics.bounce_rate_by_kind()}
    assert (bounce["minor"].numerator, bounce["minor"].denominator) == (2, 3)
    assert (bounce["major"].numerator, bounce["major"].denominator) == (0, 1)


def test_requests_per_state_and_per_month(fixture_log):
    per_state = {value: n for value, _label, n in metrics.requests_per_state()}
    assert per_state["certified"] == 1
    assert per_state["published"] == 1
    assert per_state["draft"] == 1
    assert per_state["on_hold"] == 0
    months = metrics.certifications_per_month()
    assert len(months) == 12
    assert months[-1][1] == 1
    assert months[-2][1] == 1
    assert sum(n for _m, n in months) == 2


def test_metrics_page_renders_with_charts(client, manager, fixture_log):
    client.force_login(manager)
    response = client.get(reverse("manage:metrics"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body
    assert "Time in each stage" in body
    assert "50 %" in body  # minor SLA hit rate


def test_metrics_page_query_count_constant(client, manager, fixture_log, page_cache_off):
    client.force_login(manager)
    assert client.get(reverse("manage:metrics")).status_code == 200  # the first build
    # bulk_create sends no signals: record the changes as the models' receivers would
    store.mark_changed(r.pk for r in bulk_requests(5, prefix="few"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("manage:metrics")).status_code == 200
    store.mark_changed(r.pk for r in bulk_requests(195, prefix="many"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("manage:metrics")).status_code == 200
    assert len(many) == len(few)


# --- Issue 18: per-kind stages, rounds, load, breaches, funnel, filters, CSV ----------------


def test_stage_times_per_kind_match_hand_computed(fixture_log):
    by_kind = metrics.stage_times_by_kind()
    minor = {s.group: s for s in by_kind["minor"]}
    major = {s.group: s for s in by_kind["major"]}
    assert _days(minor["submitted"]) == (2, 2.0, 2.8)  # a: 1 day, b: 3 days
    assert _days(major["submitted"]) == (1, 2.0, 2.0)  # c: 2 days
    assert _days(minor["code_review"]) == (2, 2.5, 3.7)
    assert major["code_review"].count == 0
    assert by_kind["initial"][0].count == 0
    overall = {s.group: s for s in metrics.stage_times()}
    assert _days(overall["submitted"]) == (3, 2.0, 2.8)


def test_bounce_rounds_breaches_and_load(fixture_log):
    rounds = metrics.bounce_rate_by_round()
    assert [(r.group, r.numerator, r.denominator) for r in rounds[:3]] == [
        ("Round 1", 2, 4),
        ("Round 2", 0, 2),
        ("Round 3", 0, 0),
    ]
    breaches = metrics.sla_breaches()
    assert [(b.version, b.days_over, b.target_days) for b in breaches] == [("4.0", 6.0, 14)]
    load = metrics.reviewer_load()
    assert [(x.reviewer, x.counts) for x in load] == [("Unassigned", {"user_testing": 1})]


def test_funnel_counts_partners_per_stage(fixture_log):
    from partners.models import Agreement

    a, *_rest = fixture_log
    Agreement.objects.create(
        partner=a.integration.partner,
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2026, 12, 31),
        legal_name="L",
        billing_contact_name="B",
        billing_contact_email="b@example.com",
        billing_address="B",
    )
    from partners import services as partner_services

    partner_services.application_submit(
        company="Acme",
        website="https://acme.example",
        contact_name="Ann",
        contact_email="ann@acme.example",
        not_yet_partner=True,
        product_areas=["other"],
        integration_summary="A player.",
    )
    stages = [(r.group, r.numerator, r.denominator) for r in metrics.funnel()]
    assert stages == [
        ("Applied to the program", 1, 1),
        ("Agreement requested", 1, 1),
        ("Agreement active", 0, 1),
        ("Version submitted", 1, 1),
        ("Certified", 1, 1),
        ("Listed on the marketplace", 0, 1),
    ]


def test_filters_narrow_every_figure(fixture_log):
    a, *_rest = fixture_log
    later = metrics.Scope(start=dt.date(2026, 2, 1))
    assert sum(n for _v, _l, n in metrics.requests_per_state(later)) == 0
    assert metrics.stage_times(later)[0].count == 0
    area = a.integration.product_area
    same = metrics.Scope(area=area)
    other = metrics.Scope(area="other" if area != "other" else "api_workflow")
    assert metrics.all_metrics(same)["bounce_rounds"][0].denominator == 4
    assert metrics.all_metrics(other)["bounce_rounds"][0].denominator == 0
    in_range = metrics.Scope(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    assert metrics.all_metrics(in_range)["sla_hits"] == metrics.sla_hit_rate_by_kind()


def test_metrics_page_filters_charts_and_csv(client, manager, reviewer, fixture_log):
    client.force_login(manager)
    body = client.get(reverse("manage:metrics")).content.decode()
    assert body.count("<svg") >= 8
    assert "Reviewer load" in body and "Funnel" in body and "SLA breaches" in body
    assert "user_testing" not in body and "changes_requested" not in body  # no raw codes
    bad = client.get(reverse("manage:metrics"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 400
    assert "must be before the end date" in bad.content.decode()
    far = client.get(reverse("manage:metrics"), {"end": "9999-12-31"})
    assert far.status_code == 400 and "between 2000 and 2099" in far.content.decode()
    csv = client.get(reverse("manage:metrics_csv", args=["bounce-rate-by-round"]))
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode()
    assert text.splitlines()[0].startswith("Round,")
    assert "Round 1,4,2,50 %" in text
    filtered = client.get(
        reverse("manage:metrics_csv", args=["requests-by-state"]), {"start": "2026-02-01"}
    )
    assert "Certified,0" in b"".join(filtered.streaming_content).decode()
    assert client.get(reverse("manage:metrics_csv", args=["nope"])).status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("manage:metrics_csv", args=["funnel"])).status_code == 403


# --- Issue 19: the summary is kept at the cost of what changed --------------------------------


def _cells():
    from reviews.models import MetricsCell

    return sorted(
        MetricsCell.objects.exclude(n=0, total_ms=0).values_list(
            "metric", "area", "month", "kind", "key", "n", "total_ms"
        )
    )


def test_refresh_reads_only_the_new_transitions(draft, partner_admin, reviewer):
    """A refresh after a few transitions costs the same queries whatever the history."""
    from certifications import services as cert_services

    req = cert_services.request_submit(request=draft, actor=partner_admin)
    req = cert_services.request_assign(request=req, reviewer=reviewer, actor=reviewer)
    bulk_requests(10, prefix="small")
    store.rebuild()
    cert_services.request_transition(request=req, name="intake_ok", actor=reviewer)
    with CaptureQueriesContext(connection) as small:
        assert store.catch_up() > 0
    assert store.catch_up() == 0  # nothing left to read
    bulk_requests(300, prefix="large")
    store.rebuild()
    cert_services.request_transition(request=req, name="hold", actor=reviewer, comment="Wait")
    with CaptureQueriesContext(connection) as large:
        assert store.catch_up() > 0
    assert len(large) == len(small)
    # only the changed request was read: its id is the only one the request query names
    request_reads = [
        q["sql"]
        for q in large.captured_queries
        if 'FROM "certifications_certificationrequest"' in q["sql"]
    ]
    assert len(request_reads) == 1 and f"IN ({req.pk})" in request_reads[0]
    per_state = {value: n for value, _label, n in metrics.requests_per_state()}
    assert per_state["on_hold"] == 1 and per_state["user_testing"] == 310


STATES = [
    RequestState.SUBMITTED,
    RequestState.USER_TESTING,
    RequestState.CODE_REVIEW,
    RequestState.CHANGES_REQUESTED,
    RequestState.CERTIFIED,
    RequestState.ON_HOLD,
]
STEP = st.one_of(
    st.tuples(st.just("new"), st.sampled_from(RequestKind.values), st.integers(0, 60)),
    st.tuples(
        st.just("log"),
        st.integers(0, 9),
        st.sampled_from(STATES),
        st.sampled_from(["intake_ok", "ut_changes", "assign", "cr_pass", "hold"]),
        st.floats(0, 40),
    ),
    st.tuples(st.just("state"), st.integers(0, 9), st.sampled_from(STATES)),
    st.tuples(st.just("area"), st.sampled_from(["api_workflow", "kaf_module"])),
    st.tuples(st.just("certify"), st.integers(0, 9), st.integers(0, 90)),
    st.tuples(st.just("delete"), st.integers(0, 9)),
    st.tuples(st.just("refresh")),
)


class TestIncrementalSummaryEqualsRebuild(HypothesisTestCase):
    """Any sequence of writes (log rows in any order, backdated too), with refreshes
    along the way, leaves the same cells as a rebuild; medians and p90 read from them are
    within the stated precision of the exact percentile_cont."""

    @hsettings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(STEP, max_size=30))
    def test_sequence(self, steps):
        integration = IntegrationFactory(partner=PartnerFactory(), product_area="api_workflow")
        store.rebuild()
        made: list[CertificationRequest] = []
        for step in steps:
            action, live = step[0], [r for r in made if r.pk]
            if action == "new":
                made.append(
                    _request(
                        integration,
                        f"{len(made)}.0",
                        step[1],
                        RequestState.SUBMITTED,
                        submitted_at=T0 + dt.timedelta(days=step[2]),
                        sla_target_days=14,
                    )
                )
            elif action == "area":
                integration.product_area = step[1]
                integration.save()
            elif action == "refresh":
                store.catch_up()
            elif not live:
                continue
            elif action == "log":
                _a, i, state, name, day = step
                TransitionLog.objects.create(
                    request=live[i % len(live)],
                    transition=name,
                    from_state="submitted",
                    to_state=state,
                    at=T0 + dt.timedelta(days=day),
                )
            elif action == "state":
                req = live[step[1] % len(live)]
                CertificationRequest.objects.filter(pk=req.pk).update(state=step[2])
                fresh = CertificationRequest.objects.get(pk=req.pk)
                fresh.closed_at = fresh.submitted_at + dt.timedelta(days=3)
                fresh.save(update_fields=["closed_at"])  # the save announces the change
                made[made.index(req)] = fresh
            elif action == "certify":
                req = live[step[1] % len(live)]
                if not Certificate.objects.filter(request=req).exists():
                    Certificate.objects.create(
                        request=req,
                        version=req.version,
                        commit_sha="abc1234",
                        issued_at=T0 + dt.timedelta(days=step[2]),
                        valid_until=T0.date(),
                    )
            elif action == "delete":
                req = live[step[1] % len(live)]
                Certificate.objects.filter(request=req).delete()
                req.delete()
        store.catch_up()
        incremental = _cells()
        store.rebuild()
        assert _cells() == incremental

        exact: dict[str, list[float]] = {}
        for req in CertificationRequest.objects.all():
            stays = [(x.to_state, x.at) for x in req.log.all() if x.transition != "assign"]
            for (stage, t0), (_next, t1) in pairwise(stays):
                exact.setdefault(stage, []).append((t1 - t0).total_seconds())
        for spread in metrics.stage_times():
            values = sorted(exact.get(spread.group, []))
            assert spread.count == len(values)
            for got, fraction in ((spread.median, 0.5), (spread.p90, 0.9)):
                want = metrics.percentile(values, fraction)
                if want is None:
                    assert got is None
                    continue
                # each rank's value is within PRECISION of the true one (1 s below 1 s)
                upper = values[min(int(fraction * (len(values) - 1)) + 1, len(values) - 1)]
                assert abs(got - want) <= metrics.PRECISION * upper + 1
