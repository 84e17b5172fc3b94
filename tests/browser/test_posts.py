"""A branch's model posts and star posts, clicked through in Chromium as a clerk, the street and the public would."""
import datetime as dt

import time_machine
from playwright.sync_api import expect

from documents.base import cn_date
from seed.activities import SIX_STANDARDS
from tests.browser.ui import choose, download
from tests.clock import NOW, TODAY
from tests.test_exports import pdf_text
from tests.test_modelpost import sq_people

ORG = "幸福里社区党支部"


def declare(page, title, people, standards=(), **fields):
    """Fill the new post form (the scheme already chosen) with its people, ticked standards and typed fields; save."""
    page.fill("#title", title)
    for person in people:
        page.get_by_label(f"{person.name}（{ORG}）").check()
    for standard in standards:
        page.get_by_label(standard, exact=True).check()
    for field, value in fields.items():
        page.fill(f"#{field}", value)
    page.get_by_role("button", name="保存", exact=True).click()


def open_post(page, title):
    page.goto("/admin/modelpost/")
    page.locator("tr", has_text=title).locator("a[href*='/details/']").click()
    expect(page.locator("h3")).to_contain_text(title)


def test_a_secretarys_quarter_of_model_post_work(pages, seeded):
    with seeded.app_context():
        (first, second), activist = sq_people()
    clerk = pages.new("sq_clerk")

    # A collective post with an activist among its people is refused, naming the activist; without them it is saved.
    clerk.goto("/admin/modelpost/new/")
    clerk.check("#collective")
    declare(clerk, "党员便民服务站", [first, second, activist], SIX_STANDARDS, v_duty="代办证照、政策咨询")
    expect(clerk.locator("form.admin-form")).to_contain_text(f"集体示范岗内的人员必须均为共产党员：{activist.name}不是在册党员")
    expect(clerk.locator("#title")).to_have_value("党员便民服务站")
    clerk.get_by_label(f"{activist.name}（{ORG}）").uncheck()
    clerk.get_by_role("button", name="保存", exact=True).click()
    expect(clerk.locator(".alert-success")).to_contain_text("创建记录成功")

    # The leadership meeting's decision confirms the collective post.
    open_post(clerk, "党员便民服务站")
    expect(clerk.locator(".badge")).to_have_text("待确认")
    clerk.fill("input[name=minute]", "社区党支部委员会会议决定授牌")
    clerk.get_by_role("button", name="确认授牌").click()
    expect(clerk.locator(".alert-success")).to_contain_text("确认授牌已完成")
    expect(clerk.locator(".badge")).to_have_text("已授牌")
    expect(clerk.locator("body")).to_contain_text("社区党支部委员会会议决定授牌")

    # An individual post, confirmed by the members' vote: a minority is refused, a majority confirms it.
    clerk.goto("/admin/modelpost/new/")
    declare(clerk, "矛盾调解岗", [first], SIX_STANDARDS, motto="邻里有事找我，小事不出楼院", v_duty="调解邻里纠纷")
    expect(clerk.locator(".alert-success")).to_contain_text("创建记录成功")
    open_post(clerk, "矛盾调解岗")
    clerk.fill("input[name=votes_for]", "5")
    clerk.fill("input[name=votes_cast]", "12")
    clerk.get_by_role("button", name="确认授牌").click()
    expect(clerk.locator(".alert-danger")).to_contain_text("赞成票5票，未超过投票人数12人的半数，不能确认")
    clerk.fill("input[name=votes_for]", "10")
    clerk.fill("input[name=votes_cast]", "12")
    clerk.get_by_role("button", name="确认授牌").click()
    expect(clerk.locator(".badge")).to_have_text("已授牌")
    expect(clerk.locator("body")).to_contain_text("民主推选：赞成 10 票 / 投票 12 人")

    # The quarter's assessment, the public satisfaction result weighing most; the problem found goes to the ledger.
    quarter = (TODAY.month - 1) // 3 + 1
    clerk.fill("input[name=score_public_0]", "95")
    clerk.fill("input[name=score_org_0]", "60")
    clerk.fill("textarea[name=problems]", "调解记录不全，未按月归档")
    clerk.get_by_role("button", name="保存考评").click()
    expect(clerk.locator(".alert-success")).to_contain_text("考评已完成")
    row = clerk.locator("table", has_text="综合得分").locator("tr", has_text=f"{TODAY.year}年第{quarter}季度")
    expect(row).to_contain_text("81.0")
    expect(row).to_contain_text("合格")
    expect(row).to_contain_text("调解记录不全，未按月归档")
    clerk.goto("/admin/rectification/")
    expect(clerk.locator("table.model-list")).to_contain_text("矛盾调解岗”：调解记录不全，未按月归档")

    # The plaque: post, name, motto, the six standards and the day it was awarded.
    open_post(clerk, "矛盾调解岗")
    path, name = download(clerk, clerk.get_by_role("link", name="打印标牌 PDF").click)
    assert name == "SQ01_矛盾调解岗_标牌.pdf"
    text = pdf_text(path.read_bytes())
    for expected in ("共产党员示范岗", "矛盾调解岗", first.name, "邻里有事找我", "依法行政，秉公办事",
                     f"{cn_date(TODAY)}授牌"):
        assert expected in text, expected
    assert "已撤销" not in text


def test_a_month_of_star_assessment_until_the_star_stands_on_the_phone_board(pages, seeded):
    with seeded.app_context():
        (member, _other), _activist = sq_people()
    clerk = pages.new("sq_clerk")

    # The branch declares a star post: choosing the star scheme brings its own form fields.
    clerk.goto("/admin/modelpost/new/")
    expect(clerk.locator("#v_duty")).to_be_visible()
    choose(clerk, "scheme", "星级", "星级党员示范岗（一月一考评）")
    expect(clerk.locator("#v_window")).to_be_visible()
    expect(clerk.get_by_label("示范员", exact=True)).to_be_visible()
    expect(clerk.get_by_label(SIX_STANDARDS[0])).to_have_count(0)
    declare(clerk, "党员服务窗口", [member], ["示范员", "服务员"], motto="一张笑脸迎群众，一片真心办实事",
            v_window="社区服务大厅1号窗口")
    expect(clerk.locator(".alert-success")).to_contain_text("创建记录成功")
    open_post(clerk, "党员服务窗口")
    details = clerk.url
    expect(clerk.locator(".badge")).to_have_text("待确认")
    expect(clerk.get_by_role("button", name="同意创建")).to_have_count(0)

    # The street above approves it from its home page.
    street = pages.new("jd_reviewer")
    street.goto("/admin/")
    street.get_by_role("link", name="党员服务窗口").click()
    street.fill("input[name=note]", "同意创建")
    street.get_by_role("button", name="同意创建").click()
    expect(street.locator(".alert-success")).to_contain_text("批复已完成")
    expect(street.locator(".badge")).to_have_text("已批复")

    # The month's self, public and organisation scores on the four criteria: a pass, published for five days.
    clerk.goto(details)
    for rater, score in (("self", "95"), ("public", "88"), ("org", "90")):
        for i in range(4):
            clerk.fill(f"input[name=score_{rater}_{i}]", score)
    clerk.get_by_role("button", name="保存考评").click()
    expect(clerk.locator(".alert-success")).to_contain_text("考评已完成")
    stands = TODAY + dt.timedelta(days=5)
    row = clerk.locator("table", has_text="综合得分").locator("tr", has_text=f"{TODAY.year}年{TODAY.month}月")
    expect(row).to_contain_text("90.2")
    expect(row).to_contain_text(f"合格（公示中，{cn_date(stands)}后生效）")
    expect(clerk.locator(".pd-stars")).to_have_text("☆☆☆☆☆")

    # On a phone the board shows the result under publication; the star is not standing yet.
    phone = pages.new(phone=True)
    phone.goto("/board/SQ01/stars")
    card = phone.locator(".post", has_text="党员服务窗口")
    expect(card).to_contain_text(member.name)
    expect(card).to_contain_text("一张笑脸迎群众，一片真心办实事")
    expect(card).to_contain_text(f"{TODAY.year}年{TODAY.month}月考评合格，公示至{cn_date(stands)}")
    expect(card.locator(".stars")).to_have_text("☆☆☆☆☆")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # Once the publication period is over the star stands.
    with time_machine.travel(NOW + dt.timedelta(days=6), tick=True):
        phone.reload()
        expect(card.locator(".stars")).to_have_text("★☆☆☆☆")
        expect(card).not_to_contain_text("公示至")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
