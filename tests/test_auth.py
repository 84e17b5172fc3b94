"""Logging in, the lock after repeated failures, CSRF, language."""
import datetime as dt
import re

import time_machine

from adminapp.config import Config
from documents import AuditEntry, User
from documents.user import is_locked_out
from tests import clock


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


def lock_out(app, browser, username="sq_clerk"):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        browser.login(username, "wrong-password")


def test_the_lock_expires_after_its_time(seeded, browser):
    lock_out(seeded, browser)
    minutes = seeded.config["LOGIN_LOCK_MINUTES"]
    with time_machine.travel(clock.NOW + dt.timedelta(minutes=minutes - 1)):
        assert browser.login("sq_clerk").status_code == 401
    with time_machine.travel(clock.NOW + dt.timedelta(minutes=minutes + 1)):
        assert browser.login("sq_clerk").status_code == 302
        assert browser.get("/admin/").status_code == 200


def test_an_administrator_unlocks_at_once(seeded, browser, login_as):
    lock_out(seeded, browser)
    with seeded.app_context():
        clerk_id = str(User.objects(username="sq_clerk").first().pk)
    admin = login_as("admin")
    admin.post("/admin/user/action/", {"action": "unlock", "rowid": [clerk_id], "url": "/admin/user/"},
               token_from="/admin/user/")
    assert "已解除 1 个账号的锁定" in admin.get("/admin/user/").get_data(as_text=True)
    assert browser.login("sq_clerk").status_code == 302
    with seeded.app_context():
        assert AuditEntry.objects(record_id=clerk_id, action="解除锁定").count() == 1


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


def test_english_covers_the_pledge_screens(login_as):
    """The home page, pledge list, a pledge's details and the template editor speak English, data aside."""
    admin = login_as("admin")
    admin.get("/lang/en")
    home = admin.get("/admin/").get_data(as_text=True)
    assert "To do" in home and "Pledges waiting for my review" in home and "待办" not in home
    listing = admin.get("/admin/pledge/").get_data(as_text=True)
    assert "Pledge coverage" in listing and "承诺覆盖情况" not in listing
    assert re.search(r"Current: [^<]+, \d+ records", listing) and "，共" not in listing
    pledge = re.search(r'/admin/pledge/details/\?id=(\w+)', listing).group(1)
    details = admin.get(f"/admin/pledge/details/?id={pledge}").get_data(as_text=True)
    assert "Pledge items" in details and "Responsible person" in details and "履行责任人" not in details
    template = re.search(r'/admin/template/edit/\?id=(\w+)', admin.get("/admin/template/").get_data(as_text=True))
    editor = admin.get(f"/admin/template/edit/?id={template.group(1)}").get_data(as_text=True)
    assert "Template name" in editor and "Number of pledge items" in editor and "模板名称" not in editor


def test_passwords_are_hashed(seeded):
    with seeded.app_context():
        user = User.objects(username="admin").first()
        assert "Demo@2026" not in user.password_hash and user.check_password("Demo@2026")


def test_production_hashes_with_scrypt_and_tests_with_cheap_pbkdf2(app):
    with app.app_context():
        user = User(username="hash_check", role="clerk")
        user.set_password("Secret@2026")
        assert user.password_hash.startswith("pbkdf2:sha256:1000$") and user.check_password("Secret@2026")
        app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
        user.set_password("Secret@2026")
        assert user.password_hash.startswith("scrypt:") and user.check_password("Secret@2026")
