"""Property-based tests (hypothesis).

1. Random sequences of transitions fired by random roles never reach a state the diagram
   (certifications.diagram.transitions()) does not allow, never overspend quota, leave the
   state unchanged on refusal, and write exactly one TransitionLog row per success.
2. Public forms (login, password reset, certificate verification, invitation accept) fed
   random data never answer 500.

Each example runs inside a savepoint that is rolled back, so the fixtures are shared safely.
"""

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certifications import diagram
from certifications import services as cert_services
from certifications.enums import KIND_QUOTA, QuotaUse
from certifications.models import CertificationRequest, TransitionLog
from certportal.errors import ProgramError
from partners import selectors as partner_selectors
from partners.services import invitation_create as invite_token
from tests.factories import IntegrationFactory, draft_request

pytestmark = pytest.mark.django_db

TRANSITION_EXAMPLES = 60
FORM_EXAMPLES = 50

ALLOWED = {(source, target, name) for source, target, name in diagram.transitions()}
NAMES = sorted({name for _, _, name in ALLOWED} | {"assign"})
ROLES = ["partner_admin", "partner_developer", "other_partner_admin", "reviewer", "manager"]
COMMENT = "Automated property test comment."
SHA = "0123456789abcdef0123456789abcdef01234567"

common = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


class Rollback(Exception):
    pass


def in_savepoint(body):
    try:
        with transaction.atomic():
            body()
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def django_settings(settings):
    return settings  # `settings` is Hypothesis's decorator in this module


@pytest.fixture
def actors(partner_admin, partner_developer, other_partner_admin, reviewer, manager):
    return {
        "partner_admin": partner_admin,
        "partner_developer": partner_developer,
        "other_partner_admin": other_partner_admin,
        "reviewer": reviewer,
        "manager": manager,
    }


@pytest.fixture
def requests_under_test(eligible_partner, integration, partner_admin):
    """Three complete drafts of partner A with only two major quota units between them."""
    agreement = partner_selectors.agreement_in_force(partner=eligible_partner)
    type(agreement).objects.filter(pk=agreement.pk).update(major_quota=2)
    agreement.refresh_from_db()
    drafts = [draft_request(integration, actor=partner_admin, version="1.0.0")]
    for n in (2, 3):
        other = IntegrationFactory(partner=eligible_partner, name=f"Acme Extra {n}")
        drafts.append(draft_request(other, actor=partner_admin, version=f"{n}.0.0"))
    return [d.pk for d in drafts], agreement


def fire(name, request, actor, reviewer):
    if name == "assign":
        return cert_services.request_assign(request=request, reviewer=reviewer, actor=actor)
    if name == "submit":
        return cert_services.request_submit(request=request, actor=actor)
    extra = {"commit_sha": SHA, "change_summary": COMMENT} if name == "resubmit" else {}
    return cert_services.request_transition(
        request=request, name=name, actor=actor, comment=COMMENT, **extra
    )


# Who would normally fire each transition: half of the steps use that role, so the walks
# get deep into review; the other half use any role, so refusals are explored too.
USUAL_ROLE = {
    "submit": "partner_admin",
    "resubmit": "partner_admin",
    "withdraw": "partner_admin",
    "publish": "partner_admin",
}
HAPPY_PATH = ["submit", "assign", "intake_ok", "ut_pass", "cr_pass", "publish"]
request_index = st.sampled_from([0, 0, 0, 1, 2])
usual_step = st.tuples(st.sampled_from(NAMES + HAPPY_PATH * 2), request_index).map(
    lambda t: (USUAL_ROLE.get(t[0], "reviewer"), t[0], t[1])
)
any_step = st.tuples(st.sampled_from(ROLES), st.sampled_from(NAMES), request_index)
random_steps = st.lists(st.one_of(usual_step, usual_step, any_step), min_size=1, max_size=30)
# Each walk starts with a random-length stretch of the happy path on a random request, so
# the random part starts from every depth of the diagram.
prefix = st.tuples(st.integers(0, len(HAPPY_PATH)), request_index).map(
    lambda t: [(USUAL_ROLE.get(name, "reviewer"), name, t[1]) for name in HAPPY_PATH[: t[0]]]
)
steps = st.tuples(prefix, random_steps).map(lambda t: t[0] + t[1])


@pytest.mark.slow(seconds=10)
def test_random_transitions_respect_the_diagram_quota_and_log(
    actors, requests_under_test, django_settings
):
    # The walks test the diagram, quota and log; the two-person rule before cr_pass has
    # its own tests (tests/reviews/test_workspace.py).
    django_settings.SEAL_TWO_PERSON_RULE = False
    pks, agreement = requests_under_test
    fired: set[str] = set()

    @settings(common, max_examples=TRANSITION_EXAMPLES)
    @given(sequence=steps)
    def run(sequence):
        def body():
            for role, name, index in sequence:
                request = CertificationRequest.objects.get(pk=pks[index])
                before_state = request.state
                before_logs = TransitionLog.objects.filter(request=request).count()
                try:
                    fire(name, request, actors[role], actors["reviewer"])
                except ProgramError:
                    request.refresh_from_db()
                    assert request.state == before_state, (role, name)
                    assert TransitionLog.objects.filter(request=request).count() == before_logs
                    continue
                request.refresh_from_db()
                logs = TransitionLog.objects.filter(request=request).count()
                if name == "assign":  # logged on the timeline, the state stays
                    assert request.state == before_state
                else:
                    assert (before_state, request.state, name) in ALLOWED, (role, name)
                fired.add(name)
                assert logs == before_logs + 1
                last = TransitionLog.objects.filter(request=request).last()
                assert (last.from_state, last.to_state, last.transition) == (
                    before_state,
                    request.state,
                    name,
                )
                for line in partner_selectors.quota_summary(agreement=agreement).values():
                    assert 0 <= line.used <= line.included + line.extra, line

        in_savepoint(body)

    run()
    # The random walks got past submission, not only refusals.
    assert {"submit", "assign", "intake_ok", "ut_pass", "cr_pass"} <= fired, fired


def test_quota_is_never_overspent_by_submitting_everything(actors, requests_under_test):
    pks, agreement = requests_under_test
    kind = KIND_QUOTA[CertificationRequest.objects.get(pk=pks[0]).kind]
    assert kind != QuotaUse.NONE
    results = []
    for pk in pks:
        try:
            fire("submit", CertificationRequest.objects.get(pk=pk), actors["partner_admin"], None)
            results.append(True)
        except ProgramError:
            results.append(False)
    assert results == [True, True, False]
    line = partner_selectors.quota_summary(agreement=agreement)[kind]
    assert line.used == line.included == 2


# --- Public forms never answer 500 -------------------------------------------------------

text = st.text(max_size=300)


@pytest.fixture
def anonymous():
    return Client(raise_request_exception=False)


def test_login_form_never_500(anonymous):
    @settings(common, max_examples=FORM_EXAMPLES)
    @given(username=text, password=text, nxt=text)
    def run(username, password, nxt):
        response = anonymous.post(
            reverse("login"), {"username": username, "password": password, "next": nxt}
        )
        assert response.status_code in (200, 302, 400, 429)

    run()


def test_password_reset_form_never_500(anonymous):
    @settings(common, max_examples=FORM_EXAMPLES)
    @given(email=st.one_of(text, st.emails()))
    def run(email):
        response = anonymous.post(reverse("password_reset"), {"email": email})
        assert response.status_code in (200, 302, 400)

    run()


def test_password_reset_confirm_never_500(anonymous):
    @settings(common, max_examples=FORM_EXAMPLES)
    @given(
        uid=st.from_regex(r"\A[0-9A-Za-z_\-]{1,20}\Z"),
        token=st.from_regex(r"\A[0-9A-Za-z]{1,13}-[0-9A-Za-z]{1,40}\Z"),
    )
    def run(uid, token):
        response = anonymous.get(f"/accounts/reset/{uid}/{token}/")
        assert response.status_code in (200, 302, 400, 404)

    run()


def test_verify_page_never_500(anonymous):
    @settings(common, max_examples=FORM_EXAMPLES)
    @given(
        code=st.text(
            alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"),
            min_size=1,
            max_size=80,
        )
    )
    def run(code):
        try:
            url = reverse("portal:verify", args=[code])
        except Exception:  # a code that cannot be in a URL cannot be sent
            return
        response = anonymous.get(url)
        assert response.status_code in (200, 400, 404)

    run()


def test_invitation_accept_never_500(anonymous, partner):
    good = invite_token(partner_id=partner.pk, email="new.person@example.com", role="developer")

    @settings(common, max_examples=FORM_EXAMPLES)
    @given(
        token=st.one_of(
            st.just(good), st.text(alphabet="abcdefXYZ0123456789:-_", min_size=1, max_size=120)
        ),
        username=text,
        password1=text,
        password2=text,
    )
    def run(token, username, password1, password2):
        def body():
            response = anonymous.post(
                reverse("portal:invite_accept", args=[token]),
                {"username": username, "password1": password1, "password2": password2},
            )
            assert response.status_code in (200, 302, 400, 404)
            anonymous.logout()

        in_savepoint(body)

    run()
