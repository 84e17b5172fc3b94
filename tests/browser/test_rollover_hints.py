"""An administrator's year rollover and a reviewer's 审诺 hints, driven through Chromium as they would click through them."""
import datetime as dt

from playwright.sync_api import expect

from documents import AuditEntry, Pledge, rollover
from documents.base import cn_date
from documents.calendar import PublicationDeadline
from documents.jobs import Job
from documents.template import PledgeTemplate
from tests.clock import YEAR
from tests.factories import org
from tests.test_review_hints import crafted_scene


def preview(page):
    """Ask for the rollover's preview, which a job works out, and open it once the job's page offers it."""
    page.get_by_role("button", name="预览", exact=True).click()
    expect(page.locator("h2")).to_have_text("年度结转预览")
    page.get_by_role("link", name="查看预览并确认结转").click(timeout=60_000)


def from_menu(page, category, entry):
    """Open a page as a user does: the navigation bar's drop-down, then its entry."""
    page.wait_for_load_state("load")  # the drop-downs work once Bootstrap's script has run
    navbar = page.locator(".navbar")
    navbar.get_by_role("link", name=category).click()
    navbar.get_by_role("link", name=entry).click()


def test_rollover_from_the_menu_previews_runs_once_in_the_background_and_links_both_years(seeded, pages):
    with seeded.app_context():
        old = Pledge.objects(organisation=org("SQ01"), scope="member", state="published").first()
        PledgeTemplate.objects(pk=old.template.pk).update_one(set__years=[YEAR])
        PublicationDeadline(organisation=org("JD01"), year=YEAR, deadline=dt.date(YEAR, 5, 31)).save_checked(None)
        member, item, template = old.member_name, old.items[0].content, str(old.template)
        planned = rollover.plan(YEAR)
        items, members = len(planned.carried_lines()), len(planned.carried)
    following = YEAR + 1

    def made():
        with seeded.app_context():
            return (Job.objects(kind="rollover").count(), Pledge.objects(year=following).count(),
                    sum(len(p.carried_from) for p in Pledge.objects(year=following)),
                    AuditEntry.objects(action="年度结转：未完成事项").count())

    # The administrator opens 年度结转 from the menu, asks for the preview and reads what it will create.
    admin = pages.new("admin")
    admin.goto("/admin/")
    from_menu(admin, "系统管理", "年度结转")
    expect(admin.locator("h2")).to_have_text("年度结转")
    preview(admin)
    body = admin.locator("body")
    expect(admin.locator("h5", has_text="承诺模板")).to_have_text(f"延用到{following}年的承诺模板（1 个）")
    expect(body).to_contain_text(template)
    expect(body).to_contain_text(f"城东街道党工委：公示期限 {cn_date(dt.date(following, 5, 31))}")
    expect(body).to_contain_text(f"结转为{following}年草稿事项的未完成事项（{items} 条，{members} 名党员）")
    expect(admin.locator("tbody tr", has_text="幸福里社区党支部")).to_contain_text("名")
    expect(admin.locator("li", has_text=f"{YEAR}年 {member} 的党员公开承诺").first).to_contain_text(item)

    # The form sent twice at once (as a double click on a slow line does), then a double click on the button: all
    # of them lead to one job, whose page tells what was made, and still does on reload.
    sent_twice = admin.evaluate("""() => {
        const form = document.querySelector('form[action*="/rollover/run/"]');
        const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)}).then(r => r.url);
        return Promise.all([send(), send()]);
    }""")
    admin.get_by_role("button", name=f"确认结转到 {following} 年").dblclick()
    expect(admin).to_have_url(sent_twice[0])
    assert sent_twice[1] == sent_twice[0]
    result = admin.locator(".alert-success")
    expect(result).to_contain_text(f"已结转到{following}年：延用模板 1 个，复制期限和时间 1 条，未完成事项 {items} 条"
                                   f"（新建草稿承诺 {members} 份，加入已有草稿 0 份）", timeout=60_000)
    admin.reload()
    expect(result).to_contain_text(f"已结转到{following}年")
    expect(admin.locator("#job-text")).to_contain_text("已完成")
    assert made() == (1, members, items, members)

    # The member's new draft marks the carried item and links to last year's pledge, which says where it went.
    admin.get_by_role("link", name=f"查看{following}年的草稿承诺").click()
    branch = admin.locator("#walk-org option", has_text="幸福里社区党支部").get_attribute("value")
    admin.locator("#walk-org").select_option(branch)
    admin.get_by_role("button", name="查看", exact=True).click()
    admin.locator("tr", has_text=member).locator("a[href*='/details/']").first.click()
    expect(admin.locator("h2")).to_have_text(f"{following}年 {member} 的党员公开承诺")
    expect(admin.locator(".badge")).to_have_text("草稿")
    items_table = admin.locator("xpath=//h5[.='承诺事项']/following-sibling::table[1]")
    carried = items_table.locator("tbody tr", has_text=item)
    expect(carried).to_contain_text(f"结转自{YEAR}年第1条")
    expect(admin.locator("body")).to_contain_text(f"在年度结转中把上一年未完成的事项结转到 {following}年 {member} 的党员公开承诺")
    carried.get_by_role("link", name=f"结转自{YEAR}年第1条").click()
    expect(admin.locator("h2")).to_have_text(f"{YEAR}年 {member} 的党员公开承诺")
    went = items_table.locator("tr", has_text="已结转至")
    expect(went.first).to_contain_text(f"{following}年 {member} 的党员公开承诺")

    # Run again: the preview says nothing is left to do, there is no button, and nothing new exists.
    from_menu(admin, "系统管理", "年度结转")
    preview(admin)
    expect(admin.locator(".alert-success")).to_have_text(f"{YEAR}年已全部结转，没有需要创建的内容。")
    expect(admin.get_by_role("button", name=f"确认结转到 {following} 年")).to_have_count(0)
    assert made() == (1, members, items, members)


def test_review_hints_sit_beside_their_items_and_never_block_approval(seeded, pages):
    with seeded.app_context():
        crafted, good = crafted_scene()

    # The reviewer finds the crafted pledge among the to-dos and opens 审核通过.
    reviewer = pages.new("sq_reviewer")
    reviewer.goto("/admin/")
    reviewer.get_by_role("link", name=f"{YEAR}年 提示党员 的党员公开承诺").click()
    reviewer.get_by_role("link", name="审核通过", exact=True).click()
    rows = reviewer.locator("tr[id^=item-]")
    expect(rows).to_have_count(4)
    # Each hint stands in its item's row, in Chinese; the fourth, concrete item has none.
    first, copied, shared, concrete = (rows.nth(n) for n in range(4))
    expect(first).to_contain_text("努力做好本职工作")
    expect(first).to_contain_text("没有填写完成时限")
    expect(first).to_contain_text("预期效果“群众满意”没有可衡量的数字或标准")
    expect(first).to_contain_text("“努力”等说法没有数字也没有具体对象")
    expect(copied).to_contain_text(f"与{YEAR - 1}年承诺的第1条一字不差")
    expect(shared).to_contain_text("本支部另有 2 份承诺写了相同或几乎相同的事项：")
    expect(shared).to_contain_text("韩梅")
    expect(shared).to_contain_text("钱进")
    for row in (first, copied, shared):
        expect(row).to_have_class("table-warning")
    expect(concrete).not_to_have_class("table-warning")
    expect(concrete.locator("td").last).to_have_text("")
    # The panel beside the five points lists them by item; a click brings that item into view.
    panel = reviewer.locator("#review-hints")
    expect(panel.locator("li")).to_have_count(5)
    expect(panel).not_to_contain_text("第4条")
    panel.get_by_role("link", name="第3条").click()
    expect(shared).to_be_in_viewport()

    # Hints never block: with the five points ticked the pledge is approved as it stands.
    for box in reviewer.locator("input[type=checkbox][name^=check_]").all():
        box.check()
    reviewer.get_by_role("button", name="确认审核通过").click()
    expect(reviewer.locator(".alert-success")).to_contain_text("审核通过：成功 1 份")
    expect(reviewer.locator(".badge")).to_have_text("已审核")

    # A good pledge shows no hint at all.
    reviewer.goto(f"/admin/pledge/act/approve/?ids={good.pk}")
    expect(reviewer.locator("#review-hints li")).to_have_text(["没有发现需要留意的地方"])
    expect(reviewer.locator("tr.table-warning")).to_have_count(0)
