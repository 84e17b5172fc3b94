"""The home page's charts: drawn in the browser from the app's own ECharts, each bar opening its filtered list."""
import json

from playwright.sync_api import expect

from tests.clock import YEAR


def test_dashboard_charts_draw_and_a_bar_opens_its_list(pages):
    reviewer = pages.new("jd_reviewer")
    expect(reviewer.locator("#pd-dashboard h4")).to_have_text(f"{YEAR}年承诺践诺情况")
    charts = json.loads(reviewer.locator("#pd-chart-data").text_content())
    drawn = [n for n, chart in enumerate(charts) if chart["labels"]]
    assert len(drawn) >= 4
    for n in drawn:
        expect(reviewer.locator(f".pd-chart[data-chart='{n}'] svg")).to_have_count(1)
        expect(reviewer.locator(f".pd-chart[data-chart='{n}'] svg path").first).to_be_attached()

    # Click the 已公示 bar of the pledge funnel near its base, which it covers first as it grows in.
    n, funnel = next((n, c) for n, c in enumerate(charts) if c["id"] == "funnel")
    bar = funnel["labels"].index("已公示")
    count = funnel["values"][bar]
    box = reviewer.locator(f".pd-chart[data-chart='{n}']")
    x, y = box.evaluate("(el, p) => echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, p)", [count / 4, bar])
    box.click(position={"x": x, "y": y})
    reviewer.wait_for_url("**/admin/pledge/?*")
    rows = reviewer.locator("table.model-list tbody tr")
    expect(rows).to_have_count(count)
    for row in rows.all():
        expect(row).to_contain_text("已公示")
