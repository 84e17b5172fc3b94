"""Logging in, and the papers a clerk downloads: a letter and a board sheet as PDF, a ledger as Excel."""
import subprocess

import openpyxl
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.ui import download, log_in
from tests.clock import YEAR


def test_refused_login_then_pdf_and_excel_downloads(pages):
    clerk = pages.new()
    log_in(clerk, "sq_clerk", "wrong-password")
    expect(clerk.locator(".alert-danger")).to_have_text("用户名或密码错误")
    expect(clerk.locator("#username")).to_have_value("sq_clerk")
    log_in(clerk, "sq_clerk")
    expect(clerk.locator("h2")).to_have_text("工作台")

    # A member's pledge letter from its page.
    clerk.goto("/admin/pledge/")
    clerk.locator("tr", has_text="徐卫东").locator("a[href*='/details/']").click()
    path, name = download(clerk, clerk.get_by_role("link", name="导出PDF").click)
    assert name.endswith(".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "徐卫东" in text and "公开承诺书" in text

    # The branch's board sheet and its pledge ledger as Excel, from the organisation's page.
    clerk.goto("/admin/")
    clerk.locator("table").get_by_role("link", name="幸福里社区党支部").click()
    path, name = download(clerk, clerk.get_by_role("link", name="公示表 PDF").click)
    sheet = "".join(page.extract_text() for page in PdfReader(path).pages)
    assert name.endswith(".pdf") and "幸福里社区党支部" in sheet and "徐卫东" in sheet
    ledger = clerk.locator("span", has_text="承诺台账")
    path, name = download(clerk, ledger.get_by_role("link", name="Excel").click)
    assert name.endswith(".xlsx")
    cells = [str(c) for row in openpyxl.load_workbook(path).active.iter_rows(values_only=True) for c in row if c]
    assert "徐卫东" in cells and any(str(YEAR) in c for c in cells)
