"""Security headers on every response, a CSP the admin pages work under, no server banner, ProxyFix."""
import base64
import hashlib
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from adminapp import config as app_config, create_app
from adminapp.config import PROJECT_DIR
from adminapp.embedded_db import free_port

HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def assert_secure(response):
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    return csp


@pytest.mark.parametrize("path", ["/login", "/admin/static/vendor/jquery.min.js", "/no/such/page", "/board/SQ01",
                                  "/healthz", "/ballot/not-a-token"])
def test_every_kind_of_response_carries_the_headers(seeded, path):
    response = seeded.test_client().get(path)
    assert_secure(response)
    assert "Werkzeug" not in response.headers.get("Server", "")


def _attributes(html, name):
    return [m.group(2) for m in re.finditer(rf'\s{name}=(["\'])(.*?)\1', html, re.S)]


def _scripts_and_handlers(html):
    inline = re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>", html)
    handlers = [m.group(2) for m in re.finditer(r'\son[a-z]+=(["\'])(.*?)\1', html, re.S)]
    return inline, handlers


def _sha(source):
    import html as html_lib
    return "'sha256-" + base64.b64encode(hashlib.sha256(html_lib.unescape(source).encode()).digest()).decode() + "'"


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_admin_pages_run_under_the_policy(login_as, language):
    """Every inline script carries this response's nonce and every inline handler is allowed by hash."""
    admin = login_as("admin")
    admin.get(f"/lang/{language}")
    pages = ["/admin/", "/admin/member/", "/admin/member/new/", "/admin/pledge/", "/admin/pledge/new/",
             "/admin/user/", "/admin/rectification/", "/admin/evaluation/new/", "/account/password",
             "/admin/member/details/?id=zzz"]
    handlers_seen = 0
    for page in pages:
        response = admin.get(page)
        csp = assert_secure(response)
        nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
        html = response.get_data(as_text=True)
        inline, handlers = _scripts_and_handlers(html)
        for attrs in inline:
            assert f'nonce="{nonce}"' in attrs, (page, attrs)
        for source in handlers:
            assert _sha(source) in csp, (page, source)
        handlers_seen += len(handlers)
        assert not [u for u in _attributes(html, "href") if u.startswith("javascript:") and u != "javascript:void(0)"], page
    assert handlers_seen, "the bulk-action menus render onclick handlers; the check above must have seen them"


def test_the_production_server_sends_no_version_banner(app):
    """make run serves with gunicorn: no `Server: Werkzeug/x Python/y`, no version, and the app's headers."""
    port = free_port()
    env = {**os.environ, "MONGODB_URI": app.config["MONGODB_URI"], "SECRET_KEY": "test", "SESSION_COOKIE_SECURE": "0"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                               "--log-level", "warning", "wsgi:app"], cwd=PROJECT_DIR, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                    banners, frame = response.headers.get_all("Server") or [], response.headers["X-Frame-Options"]
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.3)
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert frame == "DENY"
    assert not [b for b in banners if "Werkzeug" in b or "Python" in b or re.search(r"\d", b)], banners


def _login(client, username, password, address):
    page = client.get("/login", environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers={"X-Forwarded-For": address})
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "10.9.9.9"}, headers={"X-Forwarded-For": address})


@pytest.mark.parametrize("hops, owner_gets_in", [(1, True), (0, False)])
def test_a_trusted_proxy_gives_each_visitor_their_own_address(seeded, hops, owner_gets_in):
    """Behind one proxy every request comes from its address: only with PROXY_FIX_HOPS is the visitor told apart."""
    config = app_config.TestConfig()
    config.MONGODB_URI = seeded.config["MONGODB_URI"]
    config.PROXY_FIX_HOPS = hops
    proxied = create_app(config)
    for _ in range(proxied.config["LOGIN_MAX_FAILURES"]):
        _login(proxied.test_client(), "sq_clerk", "wrong-password", "203.0.113.5")
    owner = _login(proxied.test_client(), "sq_clerk", "Demo@2026", "198.51.100.7")
    assert (owner.status_code == 302) is owner_gets_in
