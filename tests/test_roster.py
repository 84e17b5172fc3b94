"""Roster import: preview, rejects with row and column, commit choices, re-import, export."""
import datetime as dt
import io
import re
import time

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from documents import AuditEntry, ImportBatch, Member, User
from documents.roster import COLUMNS, Limits, commit, prepare
from documents.summary import OrgYearSummary, key
from tests.clock import YEAR
from tests.factories import make_id_number, org
from tests.test_query_shapes import sent  # noqa: F401 - the command listener fixture

HEADERS = [h for h, _k in COLUMNS]


def xlsx(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(name, id_number, org_code="SQ01", categories="", residential="", post="楼院长"):
    return [name, "", id_number, "13900000000", "", "2001-07-01", org_code, post, "", categories, residential, ""]


def upload(browser, data, filename="花名册.xlsx"):
    return browser.post("/admin/member/import/", {"file": (io.BytesIO(data), filename)},
                        token_from="/admin/member/import/", content_type="multipart/form-data")


def preview_of(browser, response):
    """The preview of an upload, once the job checking its rows (whose page the preview sends to meanwhile) is done."""
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    url = response.headers["Location"]
    page = browser.get(url)
    if page.status_code == 302:
        assert "/admin/job/check:" in page.headers["Location"]
        assert wait_for(browser, page.headers["Location"])["state"] == "done"
        page = browser.get(url)
    return url, page.get_data(as_text=True)


def confirm(browser, url, timeout=60):
    """Click 确认导入 and wait on the job page's JSON until the import has finished; return the job's JSON."""
    response = browser.post(url, {"choice": "commit"}, token_from=url)
    assert response.status_code == 302 and "/admin/job/" in response.headers["Location"], response.get_data(as_text=True)[-1000:]
    return wait_for(browser, response.headers["Location"], timeout)


def wait_for(browser, job_url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = browser.get(job_url + "status.json").get_json()
        if job["finished"]:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_url} did not finish in {timeout}s: {job}")


def test_template_downloads_have_chinese_headers(login_as):
    clerk = login_as("sq_clerk")
    sheet = load_workbook(io.BytesIO(clerk.get("/admin/member/import/template.xlsx").data)).active
    assert [c.value for c in sheet[1]] == HEADERS
    assert clerk.get("/admin/member/import/template.csv").data.decode("utf-8-sig").startswith("姓名,性别,身份证号")


def test_good_rows_preview_then_commit(login_as, seeded):
    clerk = login_as("sq_clerk")
    ids = [make_id_number("19850315"), make_id_number("19900101")]
    url, html = preview_of(clerk, upload(clerk, xlsx([row("林新党", ids[0]), row("郭新党", ids[1], categories="在职党员", residential="SQ01")])))
    assert "将新增 2 人" in html and "林新党" in html
    with seeded.app_context():
        assert Member.objects(name="林新党").first() is None, "nothing is written before confirmation"
    job = confirm(clerk, url)
    assert job["state"] == "done" and job["result"]["created"] == 2
    with seeded.app_context():
        member = Member.objects(name="郭新党").first()
        assert member.organisation.code == "SQ01" and member.residential_org.code == "SQ01"
        assert member.categories == ["在职党员"] and member.gender in ("男", "女")


def test_bad_rows_are_listed_with_row_column_and_reason(login_as, seeded):
    clerk = login_as("sq_clerk")
    good = make_id_number("19700101")
    bad_checksum = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        row("好党员", good),                                     # row 2
        row("校验错", bad_checksum),                             # row 3
        row("未知组织", make_id_number("19700102"), org_code="ZZ99"),  # row 4
        row("", make_id_number("19700103")),                     # row 5
        row("越权", make_id_number("19700104"), org_code="QY01"),  # row 6
        row("在职无社区", make_id_number("19700105"), categories="在职党员"),  # row 7
    ]
    url, html = preview_of(clerk, upload(clerk, xlsx(rows)))
    assert "将新增 1 人" in html and "5 行有问题" in html
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", html)
    found = {(int(r), c) : why for r, c, why in cells}
    assert "校验位" in found[(3, "身份证号")]
    assert "ZZ99" in found[(4, "组织代码")]
    assert found[(5, "姓名")] == "不能为空"
    assert "管辖范围" in found[(6, "组织代码")]
    assert "居住地社区" in found[(7, "居住地社区组织代码")]
    assert confirm(clerk, url)["result"] == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 5,
                                            "batch": url.split("/")[-2]}
    with seeded.app_context():
        assert Member.objects(name="好党员").count() == 1
        assert Member.objects(name__in=["校验错", "未知组织", "越权", "在职无社区"]).count() == 0


def test_cancel_writes_nothing(login_as, seeded):
    clerk = login_as("sq_clerk")
    url, _html = preview_of(clerk, upload(clerk, xlsx([row("取消者", make_id_number("19660606"))])))
    clerk.post(url, {"choice": "cancel"}, token_from=url)
    with seeded.app_context():
        assert Member.objects(name="取消者").first() is None
        assert "已放弃" in clerk.get(url).get_data(as_text=True)
    assert clerk.post(url, {"choice": "commit"}, token_from=url).status_code == 200
    with seeded.app_context():
        assert Member.objects(name="取消者").first() is None


def test_reimport_updates_instead_of_duplicating(login_as, seeded):
    clerk = login_as("sq_clerk")
    number = make_id_number("19751212")
    for post in ("楼院长", "网格员"):
        url, html = preview_of(clerk, upload(clerk, xlsx([row("复导入", number, post=post)])))
        confirm(clerk, url)
    assert "将新增 0 人，更新 1 人" in html
    with seeded.app_context():
        assert Member.objects(id_number=number).count() == 1
        assert Member.objects(id_number=number).first().post == "网格员"


def test_csv_in_gbk_is_read(login_as, seeded):
    clerk = login_as("sq_clerk")
    text = ",".join(HEADERS) + "\n" + ",".join(row("陈国标", make_id_number("19820202"))) + "\n"
    url, html = preview_of(clerk, upload(clerk, text.encode("gb18030"), "roster.csv"))
    assert "陈国标" in html


def test_a_csv_import_commits_its_rows(login_as, seeded):
    clerk = login_as("sq_clerk")
    number = make_id_number("19820303")
    text = ",".join(HEADERS) + "\n" + ",".join(row("陈国栋", number, post="网格员")) + "\n"
    url, html = preview_of(clerk, upload(clerk, text.encode("gb18030"), "roster.csv"))
    assert "将新增 1 人，更新 0 人" in html
    job = confirm(clerk, url)
    assert "导入完成：新增 1 人，更新 0 人" in clerk.get(f"/admin/job/{job['id']}/").get_data(as_text=True)
    with seeded.app_context():
        member = Member.objects(id_number=number).first()
        assert member.name == "陈国栋" and member.post == "网格员" and member.organisation.code == "SQ01"
    assert "已导入" in clerk.get(url).get_data(as_text=True)


def test_an_import_is_counted_in_the_summaries_at_once(login_as, seeded):
    """The home page reads summaries: a committed import must recount the organisations it wrote to."""
    with seeded.app_context():
        before = OrgYearSummary.objects(pk=key(org("SQ01").pk, YEAR)).first().members_active
    clerk = login_as("sq_clerk")
    url, _html = preview_of(clerk, upload(clerk, xlsx([row("林新党", make_id_number("19850315")),
                                                       row("郭新党", make_id_number("19900101"))])))
    assert confirm(clerk, url)["state"] == "done"
    with seeded.app_context():
        assert OrgYearSummary.objects(pk=key(org("SQ01").pk, YEAR)).first().members_active == before + 2


def test_duplicate_id_in_one_file_is_rejected(login_as):
    clerk = login_as("sq_clerk")
    number = make_id_number("19830303")
    _url, html = preview_of(clerk, upload(clerk, xlsx([row("甲", number), row("乙", number)])))
    assert "与第 2 行重复" in html


def test_not_a_spreadsheet_is_refused(login_as):
    clerk = login_as("sq_clerk")
    html = upload(clerk, b"%PDF-1.4 not a roster", "roster.pdf").get_data(as_text=True)
    assert "只能导入 .xlsx 或 .csv" in html
    html = upload(clerk, b"PK\x03\x04 broken zip", "roster.xlsx").get_data(as_text=True)
    assert "无法读取该 .xlsx 文件" in html


def test_oversized_file_is_refused(login_as, seeded):
    seeded.config["ROSTER_MAX_BYTES"] = 1024
    clerk = login_as("sq_clerk")
    rows = [row(f"大文件{i}", make_id_number("19600101")) for i in range(60)]
    html = upload(clerk, xlsx(rows)).get_data(as_text=True)
    assert "文件过大" in html
    with seeded.app_context():
        assert ImportBatch.objects.count() == 0


def test_request_over_the_upload_limit_gets_a_chinese_page(login_as, seeded):
    seeded.config["MAX_CONTENT_LENGTH"] = 2048
    clerk = login_as("sq_clerk")
    response = upload(clerk, b"x" * 4096, "big.csv")
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)


def test_another_clerk_cannot_open_my_batch(login_as, seeded):
    clerk = login_as("sq_clerk")
    url, _html = preview_of(clerk, upload(clerk, xlsx([row("别人的", make_id_number("19770707"))])))
    other = login_as("qy_clerk")
    assert other.get(url).status_code == 404


def test_missing_required_column_is_explained(login_as):
    clerk = login_as("sq_clerk")
    html = upload(clerk, xlsx([["张三"]], headers=["姓名"])).get_data(as_text=True)
    assert "缺少必需的列" in html and "身份证号" in html


def test_export_round_trips_through_import(login_as, seeded):
    clerk = login_as("sq_clerk")
    data = clerk.get("/admin/member/export.xlsx").data
    url, html = preview_of(clerk, upload(clerk, data))
    with seeded.app_context():
        count = Member.objects(organisation=org("SQ01")).count()
    assert f"将新增 0 人，更新 0 人，{count} 人无变化" in html and "无需导入" in html


def test_rows_are_checked_in_a_job_whose_page_leads_to_the_preview(login_as, seeded):
    clerk = login_as("sq_clerk")
    response = upload(clerk, xlsx([row("检查党员", make_id_number("19880808")), row("", make_id_number("19880809"))]))
    batch_id = response.headers["Location"].rstrip("/").split("/")[-1]
    job_url = f"/admin/job/check:{batch_id}/"
    job = wait_for(clerk, job_url)
    assert job["state"] == "done" and (job["result"]["creates"], job["result"]["rejected"]) == (1, 1)
    page = clerk.get(job_url).get_data(as_text=True)
    assert "检查完成：可新增 1 人，可更新 0 人，1 行有问题" in page and f"/admin/member/import/{batch_id}/" in page
    assert "将新增 1 人" in clerk.get(response.headers["Location"]).get_data(as_text=True)


def test_a_reimport_writes_and_audits_only_the_rows_that_change(login_as, seeded):
    """The same file again changes nothing and says 无变化; a file changing two rows updates and audits exactly those."""
    clerk = login_as("sq_clerk")
    numbers = [make_id_number("19640404") for _ in range(6)]
    rows = [row(f"再导入{i}", n) for i, n in enumerate(numbers)]
    url, _html = preview_of(clerk, upload(clerk, xlsx(rows)))
    assert confirm(clerk, url)["result"]["created"] == 6
    with seeded.app_context():
        written = {m.id_number: (m.version, m.updated_at) for m in Member.objects(id_number__in=numbers)}
        entries = set(AuditEntry.objects.scalar("id"))
        sq_summary = OrgYearSummary.objects(pk=key(org("SQ01").pk, YEAR)).first().refreshed_at

    url, html = preview_of(clerk, upload(clerk, xlsx(rows)))
    assert "将新增 0 人，更新 0 人，6 人无变化" in html and "无需导入" in html and 'value="commit"' not in html
    job = confirm(clerk, url)
    assert (job["result"]["created"], job["result"]["updated"], job["result"]["unchanged"]) == (0, 0, 6)
    assert "导入完成：无变化，6 人与已登记的信息一致，没有修改任何记录" in clerk.get(f"/admin/job/{job['id']}/").get_data(as_text=True)
    with seeded.app_context():
        assert {m.id_number: (m.version, m.updated_at) for m in Member.objects(id_number__in=numbers)} == written
        assert set(AuditEntry.objects.scalar("id")) == entries, "an import that changed nothing leaves no audit entry"
        assert OrgYearSummary.objects(pk=key(org("SQ01").pk, YEAR)).first().refreshed_at == sq_summary

    rows[1] = row("再导入1", numbers[1], post="网格员")
    rows[4] = row("再导入四", numbers[4])
    url, html = preview_of(clerk, upload(clerk, xlsx(rows)))
    assert "将新增 0 人，更新 2 人，4 人无变化" in html and "<td>岗位</td>" in html and "<td>姓名</td>" in html
    job = confirm(clerk, url)
    page = clerk.get(f"/admin/job/{job['id']}/").get_data(as_text=True)
    assert "导入完成：新增 0 人，更新 2 人，拒绝 0 行；4 人与已登记的信息一致，无变化" in page
    with seeded.app_context():
        now_stored = {m.id_number: m for m in Member.objects(id_number__in=numbers)}
        changed = {n for n in numbers if (now_stored[n].version, now_stored[n].updated_at) != written[n]}
        assert changed == {numbers[1], numbers[4]}
        assert now_stored[numbers[1]].post == "网格员" and now_stored[numbers[4]].name == "再导入四"
        assert {now_stored[n].version for n in changed} == {2}
        new_entries = [e for e in AuditEntry.objects.order_by() if e.pk not in entries]
        assert sorted(e.record_id for e in new_entries if e.action == "导入花名册修改") == sorted(
            now_stored[n].pk for n in changed)
        assert [e.after["更新"] for e in new_entries if e.action == "导入花名册"] == [2]
        moved_to_grid = now_stored[numbers[1]].pk
    timeline = clerk.get(f"/admin/member/details/?id={moved_to_grid}").get_data(as_text=True)
    assert "导入花名册时修改了党员“再导入1" in timeline and "楼院长" in timeline and "网格员" in timeline


def test_a_reimport_sends_as_many_commands_for_500_rows_as_for_50(sent, seeded):
    """Re-importing a two-branch roster whose every row changed: no member read again, and no command per row."""
    counts = {}
    with seeded.test_request_context():
        admin = User.objects(username="admin").first()
        limits = Limits(10 ** 8, 10 ** 9, 1000)
        for n, birth in ((50, "19550505"), (500, "19560606")):
            numbers = [make_id_number(birth) for _ in range(n)]
            for post in ("楼院长", "网格员"):
                rows = [row(f"量{i}", m, org_code=("SQ01", "QY01")[i % 2], post=post) for i, m in enumerate(numbers)]
                batch = prepare(admin, "r.xlsx", xlsx(rows), limits)
                commands, outcome = sent.during(lambda: commit(batch.pk, admin))
            assert (outcome["created"], outcome["updated"]) == (0, n)
            assert Member.objects(id_number__in=numbers, post="网格员").count() == n
            member_finds = [c for name, c in commands if name == "find" and c["find"] == "member"]
            assert member_finds == [], "the job writes from the versions the check read, without reading members again"
            counts[n] = len(commands)
    assert counts[50] == counts[500], counts


def test_a_member_saved_by_another_clerk_after_the_check_is_not_overwritten(login_as, seeded):
    """Between the preview and 确认导入 a clerk edits one member: the import leaves that member as saved and says so."""
    clerk = login_as("sq_clerk")
    numbers = [make_id_number("19630303") for _ in range(40)]
    url, _html = preview_of(clerk, upload(clerk, xlsx([row(f"抢先{i}", n) for i, n in enumerate(numbers)])))
    confirm(clerk, url)
    url, html = preview_of(clerk, upload(clerk, xlsx([row(f"抢先{i}", n, post="网格员") for i, n in enumerate(numbers)])))
    assert "将新增 0 人，更新 40 人" in html
    with seeded.app_context():
        edited = Member.objects(id_number=numbers[0]).first()
        edited.phone = "13811112222"
        edited.save_checked(edited.version)
    job = confirm(clerk, url)
    assert (job["result"]["updated"], job["result"]["overtaken"]) == (39, 1)
    page = clerk.get(f"/admin/job/{job['id']}/").get_data(as_text=True)
    assert "1 人在检查之后已被他人修改，本次导入没有覆盖：抢先0（" in page
    with seeded.app_context():
        first, *others = (Member.objects(id_number=n).first() for n in numbers)
        assert (first.phone, first.post, first.version) == ("13811112222", "楼院长", 2)
        assert {(m.post, m.version) for m in others} == {("网格员", 2)}
        entries = AuditEntry.objects(action="导入花名册修改", record_id__in=[m.pk for m in (first, *others)])
        assert sorted(e.record_id for e in entries) == sorted(m.pk for m in others)


def test_an_excel_file_is_read_as_the_clerk_sees_it(login_as, seeded):
    """Shared and styled text, dates typed as dates (1904 calendar, a Chinese date format), blank rows keep Excel's row
    numbers, later sheets are ignored: what the streaming reader must read as Excel shows it."""
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    sheet = book.active
    sheet.append(HEADERS)
    first = make_id_number("19720202")
    sheet.append([CellRichText("欧阳", TextBlock(InlineFont(b=True), "小明")), *row("", first)[1:]])
    sheet["E2"], sheet["F2"] = dt.date(1972, 2, 3), dt.datetime(1999, 7, 1)
    sheet["E2"].number_format, sheet["F2"].number_format = "yyyy年m月d日", "yyyy-mm-dd"
    sheet.append([])
    sheet.append([])
    sheet.append(row("性别错", make_id_number("19720203"))[:1] + ["男女"] + row("", make_id_number("19720203"))[2:])
    book.create_sheet("说明").append(["这一页不是花名册"])
    out = io.BytesIO()
    book.save(out)
    clerk = login_as("sq_clerk")
    url, html = preview_of(clerk, upload(clerk, out.getvalue()))
    assert "将新增 1 人" in html and "1 行有问题" in html and "<tr><td>5</td><td>性别</td>" in html
    assert confirm(clerk, url)["result"]["created"] == 1
    with seeded.app_context():
        member = Member.objects(id_number=first).first()
        assert (member.name, member.birth_date, member.joined_on) == ("欧阳小明", dt.date(1972, 2, 3), dt.date(1999, 7, 1))
