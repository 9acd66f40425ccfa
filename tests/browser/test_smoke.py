import pytest

from tests.browser.conftest import login
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_login_page_is_accessible_and_signs_in(page, live_server, shoot, axe_check):
    UserFactory(username="walker", password="pw-walker-123")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.title().startswith("Sign in")
    assert axe_check(page) == []
    login(page, live_server, "walker", "pw-walker-123")
    assert "Welcome" in page.content()
    shoot(page, "home-after-login")
