"""Browser fixtures: the test's seeded copy served on loopback, one Chromium per worker, screenshots on failure."""
import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from adminapp.config import VAR_DIR
from seed import demo
from tests.browser.live import CHROMIUM, PHONE, launch, serving
from tests.conftest import csrf_from

SHOTS = VAR_DIR / "browser-failures"
# A page that does not answer within this long has hung; Playwright's default 30 s only delays the failure.
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session of this worker; each test opens its own contexts."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"缺少 {CHROMIUM}：请先运行 scripts/bootstrap.sh（make test 会运行它）")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def live_url(seeded):
    """The base URL of this test's seeded app, served in a thread."""
    # Static files kept in each context's browser cache, fetched once instead of on every page load (Playwright's
    # routing, which answered them before, turns that cache off and costs a round trip through its driver per file).
    seeded.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    with serving(seeded) as url:
        yield url


@pytest.fixture
def pages(request, chromium, live_url):
    """pages.new(username=None, phone=False): a fresh, blank page, logged in as that demo account when one is named."""
    opened = Pages(chromium, live_url)
    request.node.browser_pages = opened.all
    yield opened
    for context in opened.contexts:
        context.close()


class Pages:
    """The pages a test opened, each in a context of its own (own cookies), closed with the test."""

    def __init__(self, browser, url):
        self.browser, self.url, self.contexts, self.all = browser, url, [], []

    def new(self, username=None, phone=False):
        viewport = PHONE if phone else {"width": 1280, "height": 900}
        context = self.browser.new_context(base_url=self.url, viewport=viewport, locale="zh-CN", accept_downloads=True,
                                           is_mobile=phone, has_touch=phone)
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        self.all.append((username or ("phone" if phone else "anonymous"), page))
        if username:
            _sign_in(context, username)
        return page


def _sign_in(context, username):
    """Log the context in by sending the login form, without drawing it or the home page it leads to (a second of
    Chromium's CPU each, for the charts): tests that start from the home page open it. test_exports logs in by hand."""
    token = csrf_from(context.request.get("/login").text())
    answer = context.request.post("/login", form={"username": username, "password": demo.DEMO_PASSWORD,
                                                  "csrf_token": token}, max_redirects=0)
    assert (answer.status, answer.headers.get("location")) == (302, "/admin/"), f"{username} 未能登录：{answer.status}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a browser test fails, save what every one of its pages showed and name the files in the report."""
    report = yield
    if report.failed and call.when == "call":
        saved = []
        for n, (who, page) in enumerate(getattr(item, "browser_pages", ())):
            path = SHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', item.nodeid)}-{n}-{who}.png"
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=path, full_page=True)
                saved.append(f"{who}: {path} ({page.url})")
            except Exception as exc:  # a crashed page must not hide the test's own failure
                saved.append(f"{who}: no screenshot ({exc})")
        if saved:
            report.sections.append(("screenshots", "\n".join(saved)))
    return report
