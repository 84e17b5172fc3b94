"""Input as people type it: full-width characters, middle-dot variants, and dates and numbers as Excel keeps them."""
import io
import re

from openpyxl import load_workbook

from documents import Member
from tests.factories import make_id_number, org
from tests.test_roster import confirm, preview_of, upload, xlsx

FULL_WIDTH = str.maketrans("0123456789X ", "０１２３４５６７８９Ｘ　")


def roster_row(name, id_number, phone="13900000000", birth="", joined="2001-07-01"):
    return [name, "", id_number, phone, birth, joined, "SQ01", "楼院长", "", "", "", ""]


def problems(html):
    return {(int(r), c): why for r, c, why in re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", html)}


def test_roster_import_reads_what_excel_and_clerks_put_in_cells(login_as, seeded):
    clerk = login_as("sq_clerk")
    ma, abdu, bad_day, big_phone = (make_id_number(b) for b in ("19800101", "19810202", "19830404", "19840505"))
    # Only an all-digit number can have been stored by Excel as a number (one ending in the check letter X stays text).
    lost = next(n for n in iter(lambda: make_id_number("19820303"), None) if n.isdigit())
    url, html = preview_of(clerk, upload(clerk, xlsx([
        roster_row("　马丽　", ma.translate(FULL_WIDTH), phone="１３８ ００００ ０００１", joined=46112),   # row 2
        roster_row("阿卜杜•热合曼", abdu, birth="1981-02", joined="2001年7月"),                         # row 3
        roster_row("数字号", float(lost)),                                                              # row 4
        roster_row("错日子", bad_day, joined="2026-02-30"),                                              # row 5
        roster_row("长电话", big_phone, phone=8613800000000),                                          # row 6
    ])))
    found = problems(html)
    assert "将新增 2 人" in html
    assert "Excel 存成了数字（1.10105E+17）" in found[(4, "身份证号")] and "文本" in found[(4, "身份证号")]
    assert found[(5, "入党日期")] == "日期不存在：2026年2月没有30日"
    assert "存成了数字（8.61380E+12）" in found[(6, "联系电话")]
    assert confirm(clerk, url)["result"]["created"] == 2
    with seeded.app_context():
        first = Member.objects(id_number=ma).first()
        assert (first.name, first.phone, f"{first.joined_on:%Y-%m-%d}") == ("马丽", "13800000001", "2026-03-31")
        second = Member.objects(id_number=abdu).first()
        assert second.name == "阿卜杜·热合曼" and sorted(second.month_only) == ["birth_date", "joined_on"]
    details = clerk.get(f"/admin/member/details/?id={second.pk}").get_data(as_text=True)
    assert "1981年2月" in details and "2001年7月" in details and "2001年7月1日" not in details
    # The same person again, named with another dot and typed in full width: an update, not a second person.
    url, html = preview_of(clerk, upload(clerk, xlsx([roster_row("阿卜杜・热合曼", abdu.translate(FULL_WIDTH))])))
    assert "将新增 0 人，更新 1 人" in html
    for variant in ("阿卜杜‧热合曼", "阿卜杜·热合曼", "阿卜杜 • 热合曼"):
        assert second.masked_id in clerk.get("/admin/member/", query_string={"search": variant}).get_data(as_text=True)
    for phone in ("13800000001", "0001"):  # the whole phone number or its tail, typed in full width
        found = clerk.get("/admin/member/", query_string={"search": phone.translate(FULL_WIDTH)}).get_data(as_text=True)
        assert first.masked_id in found
    # The export writes a month as a month, so the file imports back unchanged; ID and phone columns are text.
    sheet = load_workbook(io.BytesIO(clerk.get("/admin/member/export.xlsx").data)).active
    exported = next(r for r in sheet.iter_rows(values_only=True) if r[2] == abdu)
    assert exported[4:6] == ("1981-02", "2001-07")


def test_roster_template_keeps_id_and_phone_columns_as_text(login_as):
    sheet = load_workbook(io.BytesIO(login_as("sq_clerk").get("/admin/member/import/template.xlsx").data)).active
    headers = [c.value for c in sheet[1]]
    for header in ("身份证号", "联系电话"):
        column = sheet.cell(row=1, column=headers.index(header) + 1).column_letter
        assert sheet.column_dimensions[column].number_format == "@" and sheet[f"{column}2"].number_format == "@"


def test_member_form_takes_full_width_input_and_year_month_dates(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
    number = make_id_number("19790909")
    form = {"name": "　热依拉・买买提　", "id_number": number.translate(FULL_WIDTH), "phone": "１３９ ００００ ００１１",
            "organisation": str(sq.pk), "status": "在册", "birth_date": "", "joined_on": "2026-02-30"}
    html = clerk.post("/admin/member/new/", form, token_from="/admin/member/new/").get_data(as_text=True)
    assert "日期不存在：2026年2月没有30日" in html and 'value="2026-02-30"' in html
    with seeded.app_context():
        assert Member.objects(id_number=number).first() is None
    response = clerk.post("/admin/member/new/", {**form, "joined_on": "２００１年７月"}, token_from="/admin/member/new/")
    assert response.status_code == 302
    with seeded.app_context():
        member = Member.objects(id_number=number).first()
        assert (member.name, member.phone, member.month_only) == ("热依拉·买买提", "13900000011", ["joined_on"])
    edit = clerk.get(f"/admin/member/edit/?id={member.pk}").get_data(as_text=True)
    assert 'value="2001-07"' in edit
