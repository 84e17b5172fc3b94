"""The home page's charts drawn by ECharts in Chromium, and a click on a bar opening the list it counts."""
import json

from playwright.sync_api import expect

from tests.clock import YEAR


def test_the_charts_render_and_a_bar_opens_its_filtered_list(pages):
    reviewer = pages.new("jd_reviewer")
    reviewer.goto(f"/admin/?year={YEAR}")
    expect(reviewer.locator("#pd-dashboard h4")).to_have_text(f"{YEAR}年承诺践诺情况")
    charts = reviewer.locator(".pd-chart")
    expect(charts).to_have_count(6)
    data = json.loads(reviewer.locator("#pd-chart-data").text_content())
    # Every chart with something to show is drawn; none (年度评诺) says 暂无数据, an all-zero pie draws no ring.
    shown = [c for c in data if c["labels"] and (c["kind"] != "pie" or any(c["values"]))]
    assert len(shown) >= 4
    expect(charts.locator("svg")).to_have_count(len(shown))
    n, funnel = next((n, c) for n, c in enumerate(data) if c["id"] == "funnel")
    expect(charts.nth(n)).to_contain_text("已公示")
    bar = funnel["labels"].index("已公示")
    count = funnel["values"][bar]

    # Click the 已公示 bar where the user sees it, near its base, which it covers first as it grows in.
    box = charts.nth(n)
    x, y = box.evaluate("(el, p) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, p)", [count / 4, bar])
    box.click(position={"x": x, "y": y})
    expect(reviewer).to_have_url(funnel["links"][bar].replace("&amp;", "&"))
    # A street's list opens one branch at a time: every row shown is one of the bar's published pledges.
    rows = reviewer.locator("table.model-list tbody tr")
    expect(rows.first).to_contain_text("已公示")
    assert 0 < rows.count() <= count
    for row in rows.all():
        expect(row).to_contain_text("已公示")
