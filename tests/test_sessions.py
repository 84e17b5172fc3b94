"""Logout, a password change and deactivation end every session of the account, copied cookies included."""
from documents import User
from tests.conftest import Browser, csrf_from


def copy_of(browser):
    """A second client holding a copy of the first one's session cookie (a stolen or shared cookie)."""
    cookie = browser.client.get_cookie("session")
    other = Browser(browser.client.application.test_client())
    other.client.set_cookie("session", cookie.value)
    return other


def opens_roster(browser):
    return browser.get("/admin/member/").status_code == 200


def test_logout_ends_a_copied_session(login_as):
    clerk = login_as("sq_clerk")
    copy = copy_of(clerk)
    assert opens_roster(copy)
    clerk.post("/logout", token_from="/admin/")
    assert not opens_roster(clerk)
    response = copy.get("/admin/member/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_changing_a_password_ends_the_clerks_sessions(login_as, seeded):
    clerk = login_as("sq_clerk")
    copy = copy_of(clerk)
    admin = login_as("admin")
    with seeded.app_context():
        user = User.objects(username="sq_clerk").first()
    url = f"/admin/user/edit/?id={user.pk}"
    form = admin.get(url).get_data(as_text=True)
    response = admin.client.post(url, data={
        "csrf_token": csrf_from(form), "username": "sq_clerk", "display_name": user.display_name, "role": "clerk",
        "organisation": str(user.organisation.pk), "active": "y", "new_password": "Another@2026",
        "expected_version": str(user.version)})
    assert response.status_code == 302
    assert not opens_roster(clerk) and not opens_roster(copy)
    fresh = Browser(seeded.test_client())
    assert fresh.login("sq_clerk", "Another@2026").status_code == 302 and opens_roster(fresh)


def test_deactivating_ends_sessions_and_reactivating_does_not_revive_them(login_as, seeded):
    clerk = login_as("sq_clerk")
    admin = login_as("admin")
    with seeded.app_context():
        user = User.objects(username="sq_clerk").first()
    url = f"/admin/user/edit/?id={user.pk}"
    fields = {"username": "sq_clerk", "display_name": user.display_name, "role": "clerk",
              "organisation": str(user.organisation.pk)}
    page = admin.get(url).get_data(as_text=True)
    admin.client.post(url, data={**fields, "csrf_token": csrf_from(page), "expected_version": str(user.version)})
    assert not opens_roster(clerk)
    with seeded.app_context():
        user = User.objects(username="sq_clerk").first()
        assert not user.active
    page = admin.get(url).get_data(as_text=True)
    admin.client.post(url, data={**fields, "active": "y", "csrf_token": csrf_from(page),
                                 "expected_version": str(user.version)})
    with seeded.app_context():
        assert User.objects(username="sq_clerk").first().active
    assert not opens_roster(clerk)


def test_changing_ones_own_password_ends_other_sessions_but_not_this_one(login_as, seeded):
    clerk = login_as("sq_clerk")
    other_device = login_as("sq_clerk")
    wrong = clerk.post("/account/password", {"current": "nope", "new": "Better@2026x", "confirm": "Better@2026x"})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    assert opens_roster(other_device)
    response = clerk.post("/account/password", {"current": "Demo@2026", "new": "Better@2026x",
                                                "confirm": "Better@2026x"})
    assert response.status_code == 302
    assert opens_roster(clerk)
    assert not opens_roster(other_device)
    assert Browser(seeded.test_client()).login("sq_clerk", "Demo@2026").status_code == 401
    assert Browser(seeded.test_client()).login("sq_clerk", "Better@2026x").status_code == 302
