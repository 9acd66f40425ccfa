import pytest
from certifications import services
from certifications.enums import RequestState
pytestmark = pytest.mark.django_db

def test_smoke(draft, partner_admin, reviewer, manager):
    r = services.request_submit(request=draft, actor=partner_admin)
    assert r.state == RequestState.SUBMITTED
    r = services.request_assign(request=r, reviewer=reviewer, actor=reviewer)
    for name in ["intake_ok", "ut_pass", "cr_pass"]:
        r = services.request_transition(request=r, name=name, actor=reviewer)
    assert r.state == RequestState.CERTIFIED
    r = services.request_transition(request=r, name="publish", actor=manager)
    assert r.state == "published"
    assert r.certificate.verification_code
