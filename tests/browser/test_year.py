"""A clerk's and a reviewer's year, driven through Chromium as they would click through it."""
import datetime as dt
import re

from playwright.sync_api import expect

from documents.base import cn_date
from tests.browser.ui import choose
from tests.clock import TODAY, YEAR
from tests.factories import make_id_number

MEMBER = "林晓峰"


def act(page, step, **fields):
    """Click a step's button on the pledge page, fill the confirmation form and confirm it."""
    page.get_by_role("link", name=step, exact=True).click()
    for field, value in fields.items():
        page.fill(f"#{field}", value)
    page.get_by_role("button", name=f"确认{step}").click()
    expect(page.locator(".alert-success")).to_contain_text(f"{step}：成功 1 份")


def test_a_pledge_from_entry_to_the_phone_board(pages):
    clerk = pages.new("sq_clerk")

    # 花名册: a new member of the branch.
    clerk.goto("/admin/member/new/")
    clerk.fill("#name", MEMBER)
    id_number = make_id_number("19850312")
    clerk.fill("#id_number", id_number)
    clerk.get_by_label("无职党员").check()
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator(".alert-success")).to_contain_text("创建记录成功")
    expect(clerk.locator("table.model-list")).to_contain_text(MEMBER)

    # 提诺: the picker finds the member by the tail of the ID number and by part of the name.
    clerk.goto("/admin/pledge/new/")
    matches = clerk.locator("#pd-member-pick option")
    clerk.fill("#pd-member-q", id_number[-4:])
    expect(matches.filter(has_text=MEMBER)).to_have_count(1)
    clerk.fill("#pd-member-q", MEMBER[1:])
    expect(matches).to_have_text([re.compile(f"^{MEMBER}（.*{id_number[-4:]}）· 幸福里社区党支部")])
    clerk.locator("#pd-member-picker").get_by_role("button", name="下一步").click()
    # The community template's required field left empty is refused beside it.
    expect(clerk.locator("h2")).to_have_text(f"新建{YEAR}年党员公开承诺")
    clerk.fill("#v_post_duty", "楼栋长")
    clerk.fill("#items-0-content", "帮助9号楼加装电梯")
    clerk.fill("#items-0-owner", "本人")
    clerk.fill("#items-0-deadline", f"{YEAR}-10-31")
    clerk.fill("#items-0-expected", "年内完成立项")
    clerk.fill("#items-1-content", "每月走访独居老人")
    clerk.fill("#items-1-deadline", f"{YEAR}-12-31")
    clerk.get_by_role("button", name="保存", exact=True).click()
    louyuan = clerk.locator(".form-group", has=clerk.locator("#v_louyuan"))
    expect(louyuan.locator(".invalid-feedback")).to_have_text("此项必填")
    expect(clerk.locator("#items-0-content")).to_have_value("帮助9号楼加装电梯")
    expect(clerk.locator(".invalid-feedback")).to_have_count(1)
    clerk.fill("#v_louyuan", "9号楼1-3单元")
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator("h2")).to_have_text(f"{YEAR}年 {MEMBER} 的党员公开承诺")
    expect(clerk.locator(".badge")).to_have_text("草稿")
    details = clerk.url
    assert re.search(r"/admin/pledge/details/\?id=[0-9a-f]{24}", details)
    act(clerk, "提交审核")
    expect(clerk.locator(".badge")).to_have_text("已提交")

    # 审诺: the reviewer finds it among the to-dos and returns it with guidance.
    reviewer = pages.new("sq_reviewer")
    reviewer.goto("/admin/")
    reviewer.get_by_role("link", name=f"{YEAR}年 {MEMBER} 的党员公开承诺").click()
    reviewer.get_by_role("link", name="退回修改", exact=True).click()
    reviewer.get_by_role("button", name="确认退回修改").click()
    expect(reviewer.locator(".alert-danger")).to_contain_text("未能退回修改：退回时必须填写修改意见")
    reviewer.fill("#guidance", "请写明加装电梯的具体节点")
    reviewer.get_by_role("button", name="确认退回修改").click()
    expect(reviewer.locator(".badge")).to_have_text("已退回")

    # The clerk reads the guidance, changes the item and submits again.
    clerk.reload()
    expect(clerk.locator("table", has_text="审诺要点")).to_contain_text("请写明加装电梯的具体节点")
    clerk.get_by_role("link", name="修改", exact=True).click()
    clerk.fill("#items-0-content", "协调9号楼加装电梯，10月底前完成立项")
    clerk.fill("#items-0-deadline", f"{YEAR}-09-30")
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator(".alert-warning")).to_contain_text("协调9号楼加装电梯，10月底前完成立项")
    act(clerk, "提交审核")

    # The reviewer sees what changed since the return, ticks the five points and approves.
    reviewer.reload()
    reviewer.get_by_role("link", name="审核通过", exact=True).click()
    diff = reviewer.locator("table", has_text="退回时")
    expect(diff).to_contain_text("帮助9号楼加装电梯")
    expect(diff).to_contain_text("协调9号楼加装电梯，10月底前完成立项")
    expect(diff.locator("tr", has_text="完成时限")).to_contain_text(cn_date(dt.date(YEAR, 10, 31)))
    expect(diff.locator("tr", has_text="完成时限")).to_contain_text(cn_date(dt.date(YEAR, 9, 30)))
    for box in reviewer.locator("input[type=checkbox][name^=check_]").all():
        box.check()
    reviewer.fill("#guidance", "同意")
    reviewer.get_by_role("button", name="确认审核通过").click()
    expect(reviewer.locator(".badge")).to_have_text("已审核")

    # 定诺 and 示诺.
    clerk.reload()
    act(clerk, "签订备案", signed_on=TODAY.isoformat())
    act(clerk, "公示", published_on=TODAY.isoformat(), publish_days="7")
    expect(clerk.locator(".badge")).to_have_text("已公示")

    # The public board on a phone, and an opinion left there.
    phone = pages.new(phone=True)
    phone.goto(f"/board/SQ01?year={YEAR}")
    card = phone.locator(".pledge", has_text=MEMBER)
    expect(card).to_contain_text("协调9号楼加装电梯，10月底前完成立项")
    expect(card).to_contain_text("完成时限：")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    card.get_by_text("对这份承诺提意见").click()
    card.locator("textarea[name=text]").fill("电梯加装能否先开居民协调会？")
    card.get_by_role("button", name="提交意见").click()
    expect(phone.get_by_text("谢谢！您的意见已转给该党组织")).to_be_in_viewport()

    # 践诺: the clerk sees the opinion, starts and records progress.
    clerk.goto("/admin/opinion/")
    expect(clerk.locator("table.model-list")).to_contain_text("电梯加装能否先开居民协调会？")
    clerk.goto(details)
    expect(clerk.locator("body")).to_contain_text("电梯加装能否先开居民协调会？")
    act(clerk, "开始践诺")
    clerk.locator("select[name=item]").select_option("0")
    clerk.fill("input[name=percent]", "60")
    clerk.fill("textarea[name=note]", "已召开居民协调会")
    recorded_on = dt.date.today()  # not TODAY: a slow run started at 23:59 records it after midnight
    clerk.get_by_role("button", name="登记进度").click()
    progress = clerk.locator("xpath=//h5[contains(., '践诺进度')]/following-sibling::table[1]")
    expect(progress).to_contain_text("已召开居民协调会")
    expect(progress).to_contain_text("60%")

    # The phone board shows the item's latest progress, never its note.
    phone.reload()
    expect(card.locator(".progress").first).to_contain_text(f"进度：进行中 60%（{cn_date(recorded_on)}）")
    expect(card).not_to_contain_text("已召开居民协调会")


def test_supervision_evaluation_and_a_ballot_on_the_phone(pages):
    clerk = pages.new("sq_clerk")
    quarter = (TODAY.month - 1) // 3 + 1

    # 督诺: the home page asks for this quarter's round; criticism puts a line in the rectification ledger.
    clerk.goto("/admin/")
    clerk.get_by_role("link", name="登记督诺").click()
    clerk.fill("#year", str(YEAR))
    clerk.fill("#quarter", str(quarter))
    clerk.fill("#held_on", TODAY.isoformat())
    clerk.fill("#summary", "本季度践诺总体良好")
    clerk.get_by_role("button", name="添加 逐人点评").click()
    choose(clerk, "notes-0-pledge", "曹凤英")
    clerk.fill("#notes-0-comment", "走访记录不全")
    clerk.fill("#notes-0-highlight", "主动为独居老人买菜")
    clerk.check("#notes-0-criticised")
    clerk.fill("#notes-0-problem", "走访台账未按月登记")
    clerk.fill("#notes-0-rectify_by", f"{YEAR}-12-31")
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator(".alert-info", has_text="整改台账")).to_contain_text("已列入整改台账 1 项")
    clerk.goto("/admin/")
    expect(clerk.locator("body")).not_to_contain_text("本季度尚未开展督诺")

    # 挂牌销号 from the ledger's bulk menu.
    clerk.goto("/admin/rectification/")
    row = clerk.locator("tr", has_text="走访台账未按月登记")
    row.locator("input.action-checkbox").check()
    clerk.get_by_role("button", name="选中的").click()
    clerk.once("dialog", lambda dialog: dialog.accept())
    clerk.get_by_role("link", name="挂牌销号").click()
    expect(clerk.locator(".alert-success")).to_contain_text("已销号 1 项")
    expect(row).to_contain_text(TODAY.isoformat())
    expect(row).to_contain_text("周婷")

    # The pledge's page tells the round's comment and the closed line; the clerk marks it fulfilled.
    clerk.goto("/admin/pledge/")
    clerk.locator("tr", has_text="曹凤英").locator("a[href*='/details/']").click()
    expect(clerk.locator("body")).to_contain_text("闪光言行：主动为独居老人买菜")
    expect(clerk.locator("body")).to_contain_text("整改：走访台账未按月登记 · 已于")
    act(clerk, "已兑现")
    pledge_page = clerk.url

    # 评诺: a round, the branch's scores from paper, and one ballot slip.
    clerk.goto("/admin/evaluation/new/")
    clerk.fill("#year", str(YEAR))
    clerk.get_by_role("button", name="保存", exact=True).click()
    clerk.locator("tr", has_text=str(YEAR)).locator("a[href*='/details/']").click()
    round_page = clerk.url
    scores = clerk.locator("form", has_text="录入评分")
    scores.locator("select[name=rater_type]").select_option(label="党组织考评")
    scores.locator(".form-row", has_text="曹凤英").locator("input").fill("93")
    scores.get_by_role("button", name="保存评分").click()
    expect(clerk.locator(".alert-success")).to_contain_text("已录入 1 个分数")
    results = clerk.locator("table", has_text="综合得分")
    expect(results.locator("tr", has_text="曹凤英")).to_contain_text("93.0（1人）")
    ballots = clerk.locator("form", has_text="发放群众参评选票")
    ballots.locator("input[name=count]").fill("1")
    ballots.get_by_role("button", name="生成可打印的选票").click()
    expect(clerk.locator("svg")).to_have_count(1)
    slip_url = clerk.locator(".text-break").inner_text()

    # 群众参评 on a phone: the slip's address, one choice, once.
    phone = pages.new(phone=True)
    phone.goto(slip_url)
    expect(phone.locator("body")).to_contain_text(f"幸福里社区党支部 {YEAR}年党员评议")
    phone.locator(".row", has_text="曹凤英").get_by_label("满意", exact=True).check()
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.get_by_text("感谢您的参与！您的评价已经提交。")).to_be_visible()
    phone.goto(slip_url)
    expect(phone.locator(".msg")).to_contain_text("已经使用过")
    clerk.goto(round_page)
    expect(results.locator("tr", has_text="曹凤英")).to_contain_text("100.0（1人）")

    # The reviewer closes the pledge's year.
    reviewer = pages.new("sq_reviewer")
    reviewer.goto(pledge_page)
    act(reviewer, "评议完成")
    expect(reviewer.locator(".badge")).to_have_text("已评议")
