"""Reading what happened: audit entries as sentences with changed fields, the pledge's whole timeline,
the resubmission diff, the audit list's filters in the URL and its .xlsx export."""
import datetime as dt
import html as html_lib
import io
import json
import re

import openpyxl
import pytest

from documents import AuditEntry, Pledge, User, audit_view
from documents.cycle import transition
from documents.opinion import leave
from documents.pledging import save_pledge
from documents import progress
from tests.clock import TODAY, YEAR
from tests.factories import make_member, org
from tests import test_query_shapes
from tests.test_query_shapes import operators

sent = test_query_shapes.sent  # the database command recorder, as a fixture of this module
from tests.test_supervision import round_form

CHECKS = {c: "y" for c in ("体现先进性要求", "以正在干的事情为中心", "体现岗位职责特点", "符合群众意愿", "切实可行")}
VALUES = {"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"}
FIRST = {"content": "每周走访楼院一次", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "居民满意",
         "kind": "履职承诺"}
SECOND = {"content": "清理楼道杂物", "owner": "本人", "deadline": f"{YEAR}-09-30", "expected": "楼道整洁"}
HEX_ID = re.compile(r"\b[0-9a-f]{24}\b")


def user(name):
    return User.objects(username=name).first()


def visible_text(html):
    """What a person reads: the page without scripts, styles, hidden data and tags."""
    html = re.sub(r"<(script|style)\b.*?</\1>|<div [^>]*class=\"d-none\">.*?</div>", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def timeline(html):
    """The text of a details page's timeline."""
    return visible_text(html.split('id="pd-timeline"', 1)[1])


@pytest.fixture
def resubmitted(seeded):
    """A member pledge of 幸福里 returned by its reviewer and resubmitted with every item field changed."""
    with seeded.app_context():
        sq = org("SQ01")
        member = make_member(name="审计党员", organisation=sq)
        pledge = save_pledge(user("sq_clerk"), organisation=sq, member=member, year=YEAR, raw_values=VALUES,
                             raw_items=[FIRST, SECOND])
        transition(user("sq_clerk"), pledge.pk, "submit")
        transition(user("sq_reviewer"), pledge.pk, "return", checklist={}, guidance="预期效果请写明可衡量的标准")
        pledge.reload()
        save_pledge(user("sq_clerk"), organisation=sq, member=member, year=YEAR,
                    raw_values={**VALUES, "louyuan": "8号楼、9号楼"},
                    raw_items=[{**FIRST, "owner": "本人和楼院长", "deadline": f"{YEAR}-11-30",
                                "expected": "=SUM(A1) 走访满意率90%以上", "kind": "实事承诺"}, SECOND],
                    pledge=pledge, expected_version=pledge.version)
        transition(user("sq_clerk"), pledge.pk, "submit")
        return pledge.pk


def test_resubmission_diff_names_every_changed_field_and_leaves_once_approved(seeded, resubmitted, login_as):
    reviewer = login_as("sq_reviewer")
    review = visible_text(reviewer.get(f"/admin/pledge/act/approve/?ids={resubmitted}").get_data(as_text=True))
    details = visible_text(reviewer.get(f"/admin/pledge/details/?id={resubmitted}").get_data(as_text=True))
    for page in (review, details):
        assert "联系服务楼院" in page and "8号楼、9号楼" in page
        assert "第1条承诺事项·履行责任人" in page and "本人和楼院长" in page
        assert "第1条承诺事项·完成时限" in page and f"{YEAR}年12月31日" in page and f"{YEAR}年11月30日" in page
        assert "第1条承诺事项·预期效果" in page and "居民满意" in page
        assert "第1条承诺事项·承诺类别" in page and "实事承诺" in page
    assert "第2条承诺事项" not in review and "退回后修改了" in details
    with seeded.app_context():
        transition(user("sq_reviewer"), resubmitted, "approve", checklist=CHECKS, guidance="同意")
    approved = reviewer.get(f"/admin/pledge/details/?id={resubmitted}").get_data(as_text=True)
    assert "退回后修改了" not in visible_text(approved)
    story = timeline(approved)
    assert "第1条承诺事项·履行责任人" in story and "本人和楼院长" in story
    assert "审核通过了" in story and "已提交" in story and "已审核" in story
    assert "退回了" in story and "预期效果请写明可衡量的标准" in story


def test_pledge_timeline_tells_progress_opinions_supervision_and_rectification_in_order(seeded, resubmitted,
                                                                                        login_as):
    with seeded.app_context():
        transition(user("sq_reviewer"), resubmitted, "approve", checklist=CHECKS, guidance="同意")
        transition(user("sq_clerk"), resubmitted, "sign")
        pledge = transition(user("sq_clerk"), resubmitted, "publish", publish_days=7)
        progress.record(user("sq_clerk"), pledge, 1, TODAY, "进行中", 40, "已清理3号楼")
        leave(pledge, "希望周末也来走访", "", "10.0.0.9", "secret")
        sq = org("SQ01")
    clerk = login_as("sq_clerk")
    deadline = (TODAY + dt.timedelta(days=20)).isoformat()
    response = clerk.post("/admin/supervision/new/", round_form(sq, pledge, problem="走访记录不全", rectify_by=deadline,
                          highlight="雨天坚持走访"), token_from="/admin/supervision/new/")
    assert response.status_code == 302
    with seeded.app_context():
        from documents.supervision import Rectification
        line = Rectification.objects(pledge=resubmitted).first()
    clerk.post("/admin/rectification/action/", {"action": "close", "rowid": [str(line.pk)],
                                                "url": "/admin/rectification/"}, token_from="/admin/rectification/")
    page = clerk.get(f"/admin/pledge/details/?id={resubmitted}").get_data(as_text=True)
    story = timeline(page)
    steps = ["新建了", "提交了", "退回了", "审核通过了", "公示了", "登记了进度", "第2条", "40%", "已清理3号楼",
             "提出了意见", "希望周末也来走访", "点评：进度滞后", "雨天坚持走访", "列入整改台账", "挂牌销号"]
    positions = [story.find(step) for step in steps]
    assert -1 not in positions, [s for s, p in zip(steps, positions) if p < 0]
    assert positions[:6] == sorted(positions[:6])
    assert story.find("挂牌销号") > story.find("列入整改台账") > story.find("登记了进度") > story.find("公示了")
    assert not HEX_ID.search(story) and not re.search(r"\d{4}-\d\d-\d\d", story)
    with seeded.app_context():  # entries written before the stamps: found again once the database is upgraded
        AuditEntry._get_collection().update_many({}, {"$unset": {"month": 1, "pledge_id": 1}})
    assert "登记了进度" not in timeline(clerk.get(f"/admin/pledge/details/?id={resubmitted}").get_data(as_text=True))
    result = seeded.test_cli_runner().invoke(args=["backfill-paths"])
    assert "操作日志" in result.output and "操作日志 0 条" not in result.output, result.output
    assert timeline(clerk.get(f"/admin/pledge/details/?id={resubmitted}").get_data(as_text=True)) == story
    assert "操作日志 0 条" in seeded.test_cli_runner().invoke(args=["backfill-paths"]).output
    assert "公示日期" in story and f"{TODAY.year}年{TODAY.month}月{TODAY.day}日" in story and "日 00:00" not in story


def test_audit_list_reads_as_sentences_filters_in_the_url_and_exports(sent, seeded, resubmitted, login_as):
    with seeded.app_context():
        member = Pledge.objects(pk=resubmitted).first().member
        form = {"name": member.name, "id_number": member.id_number, "organisation": str(org("SQ01").pk),
                "status": "在册", "post": "楼院长", "categories": "在职党员", "residential_org": str(org("SQ01").pk),
                "expected_version": member.version}
    clerk = login_as("sq_clerk")
    edit = f"/admin/member/edit/?id={member.pk}"
    assert clerk.post(edit, form, token_from=edit).status_code == 302
    details = visible_text(clerk.get(f"/admin/member/details/?id={member.pk}").get_data(as_text=True))
    assert "修改了党员“审计党员" in details and "岗位" in details and "楼院长" in details
    assert "居住地社区组织" in details and "幸福里社区党支部" in details and not HEX_ID.search(details)

    admin = login_as("admin")
    commands, response = sent.during(lambda: admin.get("/admin/audit/"))
    html = response.get_data(as_text=True)
    days = [body["filter"] for name, body in commands if name == "find" and body["find"] == "audit"
            and "day" in body["filter"] and "hour" not in body["filter"]]
    assert not days, days  # today's entries are read by the hour: a probe of the day would read all of it
    text = visible_text(html)
    assert "周婷（社区组织委员） 于" in text and "提交了 " + f"{YEAR}年 审计党员 的党员公开承诺" in text
    assert "第1条承诺事项·预期效果" in text and "=SUM(A1) 走访满意率90%以上" in text
    assert "状态" in text and "草稿" in text and "已提交" in text and "幸福里社区党支部" in text
    assert not HEX_ID.search(html), HEX_ID.findall(html)[:3]
    for raw in ("entered_by", "submitted", "draft", "values", "items", "{", "}", "pledge_template"):
        assert raw not in text, raw
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", text)
    with seeded.app_context():
        names = audit_view.Names()
        for entry in AuditEntry.objects:
            for change in audit_view.render(entry, names).changes:
                assert re.search(r"[\u4e00-\u9fff]", change.label) and not re.search(r"[A-Za-z_]", change.label)
                assert not HEX_ID.search(change.old + change.new), change

    # Each filter is a URL parameter: the same link gives the same view.
    groups = json.loads(html_lib.unescape(re.search(r'id="filter-groups-data"[^>]*>(.*?)</div>', html).group(1)))
    arg = {name: options[0]["arg"] for name, options in groups.items()}
    reviewer = visible_text(admin.get(f"/admin/audit/?flt0_{arg['操作人']}=李秀英（社区支部书记）").get_data(as_text=True))
    assert "退回了" in reviewer and "提交了" not in reviewer
    month = dt.datetime.now().strftime("%Y-%m")
    narrowed = f"/admin/audit/?flt0_{arg['记录类型']}=pledge&flt1_{arg['组织（含下级）']}=SQ01&flt2_{arg['时间']}={month}"
    commands, response = sent.during(lambda: admin.get(narrowed))
    page = visible_text(response.get_data(as_text=True))
    listed = [body["filter"] for name, body in commands if name == "find" and body["find"] == "audit"]
    assert listed and all(not operators(f) for f in listed), listed  # one equality per filter, pushed down
    assert {"collection", "org_path", "month"} <= set(listed[0])
    assert "新建了 " + f"{YEAR}年 审计党员" in page and "退回了" in page and "修改了" in page
    elsewhere = f"/admin/audit/?flt0_{arg['组织（含下级）']}=QY01"
    assert "审计党员" not in visible_text(admin.get(elsewhere).get_data(as_text=True))

    export = admin.get(narrowed.replace("/admin/audit/", "/admin/audit/export.xlsx"))
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "记录类型", "组织", "经过", "修改内容")
    mine = [r[4].split(" ")[4] for r in rows[1:] if "审计党员" in r[4]]
    assert mine == ["新建了", "提交了", "退回了", "修改了", "提交了"]
    assert {r[2] for r in rows[1:]} == {"承诺"} and all(isinstance(r[0], dt.datetime) for r in rows[1:])
    assert any("预期效果：居民满意 → =SUM(A1) 走访满意率90%以上" in (r[5] or "") for r in rows)
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)
