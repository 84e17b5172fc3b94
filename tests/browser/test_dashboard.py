"""The home page's charts drawn by ECharts in Chromium, and a click on a bar opening the list it counts."""
import json

from playwright.sync_api import expect

from tests.clock import YEAR


def test_the_charts_render_and_a_bar_opens_its_filtered_list(pages):
    reviewer = pages.new("jd_reviewer")
    reviewer.goto(f"/admin/?year={YEAR}")
    charts = reviewer.locator(".pd-chart")
    expect(charts).to_have_count(6)
    expect(charts.locator("svg")).to_have_count(5)  # no 年度评诺 yet: that chart says 暂无数据 instead
    expect(charts.nth(1)).to_contain_text("已公示")
    data = {c["id"]: c for c in json.loads(reviewer.locator("#pd-chart-data").text_content())}
    published = data["funnel"]["labels"].index("已公示")
    count = data["funnel"]["values"][published]

    charts.nth(1).locator('path[fill="#7f8c8d"]').first.click(force=True)  # the 已公示 bar, sixth colour of the cycle
    expect(reviewer).to_have_url(data["funnel"]["links"][published].replace("&amp;", "&"))
    expect(reviewer.locator("table.model-list tbody tr")).to_have_count(count)
    expect(reviewer.locator("table.model-list tbody")).not_to_contain_text("草稿")
