"""Logging in, the lock after repeated failures, CSRF, language."""
import datetime as dt

from documents import User
from documents.user import is_locked_out


def test_admin_without_session_redirects_to_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_is_chinese(client):
    html = client.get("/login").get_data(as_text=True)
    assert "用户名" in html and "密码" in html and "登录" in html


def test_login_with_demo_account_shows_chinese_home(seeded, browser):
    response = browser.login("sq_clerk")
    assert response.status_code == 302
    html = browser.get("/admin/").get_data(as_text=True)
    assert "工作台" in html and "幸福里社区党支部" in html and "退出登录" in html


def test_wrong_password_is_refused_in_chinese(seeded, browser):
    response = browser.login("sq_clerk", "wrong-password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert browser.get("/admin/").status_code == 302


def test_repeated_failures_lock_the_account_even_with_the_right_password(seeded, browser):
    for _ in range(seeded.config["LOGIN_MAX_FAILURES"]):
        browser.login("sq_clerk", "wrong-password")
    response = browser.login("sq_clerk")
    assert response.status_code == 401
    assert "锁定" in response.get_data(as_text=True)
    with seeded.app_context():
        assert is_locked_out("sq_clerk", seeded.config["LOGIN_MAX_FAILURES"], dt.timedelta(minutes=15))


def test_login_without_csrf_token_is_rejected(seeded, client):
    response = client.post("/login", data={"username": "admin", "password": "Demo@2026"})
    assert response.status_code == 400
    assert "安全校验" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_admin_form_post_without_csrf_is_rejected(login_as):
    admin = login_as("admin")
    response = admin.client.post("/admin/organisation/new/", data={
        "name": "无令牌支部", "code": "NOCSRF", "level": "党支部", "org_type": "社区"})
    assert response.status_code == 400
    with admin.client.application.app_context():
        from documents import Organisation
        assert Organisation.objects(code="NOCSRF").first() is None


def test_logout_needs_post_and_ends_session(login_as):
    clerk = login_as("sq_clerk")
    clerk.post("/logout", token_from="/admin/")
    assert clerk.get("/admin/").status_code == 302


def test_english_can_be_selected(login_as):
    clerk = login_as("sq_clerk")
    clerk.get("/lang/en")
    html = clerk.get("/admin/").get_data(as_text=True)
    assert "Log out" in html


def test_passwords_are_hashed(seeded):
    with seeded.app_context():
        user = User.objects(username="admin").first()
        assert "Demo@2026" not in user.password_hash and user.check_password("Demo@2026")
