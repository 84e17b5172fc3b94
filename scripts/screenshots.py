"""Regenerate README's screenshots of web pages (docs/dashboard.png, docs/audit.png) from the demo data in Chromium."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from scripts.demo_db import demo_app  # noqa: E402
from tests.browser.live import launch, serving  # noqa: E402
from tests.browser.ui import log_in  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent / "docs"
# (file, account, page): the street reviewer sees the dashboard of the whole street; the admin sees every log entry.
SHOTS = [("dashboard.png", "jd_reviewer", "/admin/"), ("audit.png", "admin", "/admin/audit/")]


def main():
    with demo_app() as app, serving(app) as url, sync_playwright() as playwright:
        browser = launch(playwright)
        for name, username, path in SHOTS:
            page = browser.new_page(base_url=url, viewport={"width": 1360, "height": 1000}, locale="zh-CN")
            page.set_default_timeout(120_000)  # a loaded machine renders the audit log slowly
            log_in(page, username)
            page.goto(path)
            page.wait_for_timeout(1500)  # ECharts animates its bars in for about a second
            page.screenshot(path=DOCS / name)  # the first screen: a long list runs on for pages
            page.close()
            print(DOCS / name)
        browser.close()


if __name__ == "__main__":
    main()
