"""Failed logins counted by inserts, limited per account and address and per address; no user-name probing."""
import threading
import time

from documents.user import LoginAttempt
from tests.conftest import Browser, csrf_from

WRONG = "用户名或密码错误"
LOCKED = "锁定"


def login_from(app, address, username, password):
    browser = Browser(app.test_client())
    env = {"REMOTE_ADDR": address}
    token = csrf_from(browser.client.get("/login", environ_base=env).get_data(as_text=True))
    return browser.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               environ_base=env)


def test_twenty_parallel_wrong_passwords_check_at_most_five_and_lock(seeded):
    limit = seeded.config["LOGIN_MAX_FAILURES"]
    clients = []
    for _ in range(20):
        client = seeded.test_client()
        clients.append((client, csrf_from(client.get("/login").get_data(as_text=True))))
    barrier, answers = threading.Barrier(len(clients)), []

    def guess(client, token):
        barrier.wait()
        response = client.post("/login", data={"username": "sq_clerk", "password": "guess", "csrf_token": token})
        answers.append(response.get_data(as_text=True))

    threads = [threading.Thread(target=guess, args=pair) for pair in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = sum(WRONG in a for a in answers)
    # When all twenty are recorded before any is counted, none is checked: safe, and it happens on a loaded machine.
    assert checked <= limit, f"{checked} of 20 parallel guesses had their password checked"
    assert sum(LOCKED in a for a in answers) == 20 - checked
    response = login_from(seeded, "127.0.0.1", "sq_clerk", "Demo@2026")
    assert response.status_code == 401 and LOCKED in response.get_data(as_text=True)
    with seeded.app_context():
        assert LoginAttempt.objects(username="sq_clerk").count() >= limit


def test_a_lockout_from_one_address_leaves_the_owner_free_elsewhere(seeded):
    for _ in range(seeded.config["LOGIN_MAX_FAILURES"]):
        login_from(seeded, "203.0.113.9", "admin", "wrong-password")
    attacker = login_from(seeded, "203.0.113.9", "admin", "Demo@2026")
    assert attacker.status_code == 401 and LOCKED in attacker.get_data(as_text=True)
    assert login_from(seeded, "198.51.100.20", "admin", "Demo@2026").status_code == 302


def test_one_address_cannot_spray_passwords_over_many_names(seeded):
    limit = seeded.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    for i in range(limit):
        login_from(seeded, "203.0.113.50", f"name{i % 7}", "Demo@2026")
    response = login_from(seeded, "203.0.113.50", "qy_clerk", "Demo@2026")
    assert response.status_code == 401 and LOCKED in response.get_data(as_text=True)
    assert login_from(seeded, "203.0.113.51", "qy_clerk", "Demo@2026").status_code == 302


def test_admin_unlock_clears_the_lock(login_as, seeded):
    for _ in range(seeded.config["LOGIN_MAX_FAILURES"]):
        login_from(seeded, "127.0.0.1", "qy_clerk", "wrong-password")
    admin = login_as("admin")
    html = admin.get("/admin/user/").get_data(as_text=True)
    assert "已锁定" in html
    with seeded.app_context():
        from documents import User
        pk = User.objects(username="qy_clerk").first().pk
    admin.post("/admin/user/action/", {"action": "unlock", "rowid": [str(pk)], "url": "/admin/user/"},
               token_from="/admin/user/")
    assert login_from(seeded, "127.0.0.1", "qy_clerk", "Demo@2026").status_code == 302


def _timed(app, username, password, address):
    client, env = app.test_client(), {"REMOTE_ADDR": address}
    token = csrf_from(client.get("/login", environ_base=env).get_data(as_text=True))
    start = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                           environ_base=env)
    return time.perf_counter() - start, response


def test_unknown_names_answer_like_wrong_passwords(seeded):
    """Same message, same status and about the same time: user names cannot be enumerated."""
    _timed(seeded, "no_such_person", "x", "192.0.2.1")
    unknown, wrong = [], []
    for i in range(3):
        t, r_unknown = _timed(seeded, f"no_such_person{i}", "wrong-password", "192.0.2.2")
        unknown.append(t)
        t, r_wrong = _timed(seeded, "jd_reviewer", "wrong-password", "192.0.2.3")
        wrong.append(t)
        assert r_unknown.status_code == r_wrong.status_code == 401
        assert _message(r_unknown) == _message(r_wrong) == WRONG
    a, b = min(unknown), min(wrong)
    assert a / b < 3 and b / a < 3, f"unknown name {a:.3f}s, wrong password {b:.3f}s"


def _message(response):
    html = response.get_data(as_text=True)
    return WRONG if WRONG in html else html
