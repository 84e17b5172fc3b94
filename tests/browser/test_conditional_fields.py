"""Conditional template fields in Chromium: shown by the member's category and by another field's value."""
import re

from playwright.sync_api import expect

from documents import Pledge, PledgeTemplate
from tests.clock import YEAR
from tests.factories import make_member, org


def open_form(clerk, name):
    """Pick the member in the pledge picker and open their pledge form."""
    clerk.goto("/admin/pledge/new/")
    clerk.fill("#pd-member-q", name)
    expect(clerk.locator("#pd-member-pick option")).to_have_count(1)
    clerk.locator("#pd-member-picker").get_by_role("button", name="下一步").click()
    expect(clerk.locator("h2")).to_have_text(f"新建{YEAR}年党员公开承诺")


def test_residence_fields_follow_the_member_and_the_yes_no(pages, seeded):
    with seeded.app_context():
        qy, home = org("QY01"), org("SQ01")
        working = make_member(name="诸葛在职", organisation=qy, categories=["在职党员"], residential_org=home)
        make_member(name="欧阳退休", organisation=qy, categories=["离退休"])
    clerk = pages.new("qy_clerk")
    reported, community = clerk.locator("#v_reported"), clerk.locator("#v_home_community")

    open_form(clerk, "欧阳退休")
    expect(clerk.locator("#v_production_task")).to_be_visible()
    expect(reported).to_be_hidden()
    expect(community).to_be_hidden()
    expect(clerk.locator("legend", has_text="实事承诺")).to_be_hidden()

    open_form(clerk, "诸葛在职")
    expect(clerk.locator("legend", has_text="实事承诺")).to_be_visible()
    expect(reported).to_be_visible()
    expect(community).to_be_hidden()
    clerk.fill("#v_production_task", "完成本班组生产计划")
    reported.check()
    expect(community).to_be_visible()
    community.fill("幸福里社区")
    reported.uncheck()
    expect(community).to_be_hidden()
    expect(community).to_be_disabled()
    reported.check()
    expect(community).to_have_value("幸福里社区")
    expect(clerk.locator("#v_production_task")).to_have_value("完成本班组生产计划")

    # Shown and required: left empty it is refused beside it, and the form comes back in the same state.
    community.fill("")
    clerk.fill("#v_post_duty", "车间主任")
    for n, content in enumerate(["带头完成技改项目", "每月走访困难职工"]):
        clerk.fill(f"#items-{n}-content", content)
        clerk.fill(f"#items-{n}-deadline", f"{YEAR}-12-31")
    clerk.get_by_role("button", name="保存", exact=True).click()
    row = clerk.locator("[data-pd-row=home_community]")
    expect(row.locator(".invalid-feedback")).to_have_text("此项必填")
    expect(reported).to_be_checked()
    expect(community).to_be_visible()

    # Hidden again, the empty required field no longer blocks saving.
    reported.uncheck()
    expect(community).to_be_hidden()
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator("h2")).to_have_text(f"{YEAR}年 诸葛在职 的党员公开承诺")
    expect(clerk.locator("th", has_text="已到居住地社区报到")).to_have_count(1)
    expect(clerk.locator("th").filter(has_text=re.compile(r"^居住地社区$"))).to_have_count(0)
    with seeded.app_context():
        values = Pledge.objects(member=working.pk).first().values
    assert values["reported"] is False and "home_community" not in values


def test_editor_offers_a_field_added_on_the_page_as_a_condition(pages, seeded):
    with seeded.app_context():
        template = PledgeTemplate.objects(name="企业党员公开承诺", current=True).first()
        last = len(template.fields)
    admin = pages.new("admin")
    admin.goto(f"/admin/template/edit/?id={template.pk}")
    admin.locator("#fields-button").click()
    admin.fill(f"#fields-{last}-key", "how")
    admin.fill(f"#fields-{last}-label", "报到方式")
    admin.select_option(f"#fields-{last}-type", "choice")
    condition = admin.locator(f"#fields-{last - 1}-show_field")
    expect(condition.locator("option", has_text="报到方式（how）")).to_have_count(0)
    condition.focus()
    expect(condition.locator("option", has_text="报到方式（how）")).to_have_count(1)
    expect(condition).to_have_value("reported")
    admin.locator(f"#fields-{last}-show_field").focus()
    expect(admin.locator(f"#fields-{last}-show_field option", has_text="（how）")).to_have_count(0)
    expect(admin.locator(f"#fields-{last}-show_field option", has_text="已到居住地社区报到")).to_have_count(1)
