"""What the printed sheets hold: the board sheet's QR code, every ledger's rows in PDF and in .xlsx."""
import datetime as dt
import io
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from documents import Pledge, User
from documents.evaluation import EvaluationRound, EvaluationScheme, members_of, record_scores
from documents.supervision import LeaderComment, SupervisionNote, SupervisionRound, sync_rectifications
from exporters import archive, ledgers
from tests.factories import org
from tests.test_exports import pdf_text

LEDGER_KINDS = list(ledgers.LEDGERS)


def _year(app):
    with app.app_context():
        return max(Pledge.objects(organisation=org("SQ01")).scalar("year"))  # no default ordering picks it


@pytest.fixture
def year_of_work(seeded):
    """The demo year plus a supervision round with a rectification, a leader's comment and evaluation scores."""
    year = _year(seeded)
    with seeded.app_context():
        admin, sq = User.objects(username="admin").first(), org("SQ01")
        pledge = Pledge.objects(organisation=sq, year=year, scope="member", state="published").first()
        round_ = SupervisionRound(organisation=sq, year=year, quarter=2, held_on=dt.date(year, 6, 20), summary="总体良好",
                                  notes=[SupervisionNote(pledge=pledge, comment="进度滞后", criticised=True,
                                                         problem="楼道清理未按期完成", rectify_by=dt.date(year, 7, 15))])
        round_.save_checked(None)
        sync_rectifications(admin, round_)
        LeaderComment(organisation=sq, member=pledge.member, commenter="王建国", on=dt.date(year, 5, 10),
                      method="现场点评", content="楼院服务做得扎实").save_checked(None)
        evaluation = EvaluationRound(organisation=sq, year=year, scheme=EvaluationScheme.objects.first())
        evaluation.save_checked(None)
        record_scores(admin, evaluation, "org", "支委会",
                      {str(m.pk): "90" for m in members_of(evaluation)})
    return year


def _decode_qr(pdf_bytes, tmp_path):
    (tmp_path / "sheet.pdf").write_bytes(pdf_bytes)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(tmp_path / "sheet.pdf"),
                    str(tmp_path / "page")], check=True)
    page = next(tmp_path.glob("page*.png"))
    found = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True)
    return found.stdout.split()


def test_board_sheet_qr_code_opens_the_organisations_board(seeded, tmp_path):
    year = _year(seeded)
    with seeded.test_request_context():
        sq = org("SQ01")
        sheet = archive.board_pdf(sq, year, "https://dangjian.example.cn")
    assert _decode_qr(sheet, tmp_path) == [f"https://dangjian.example.cn/board/SQ01?year={year}"]


def _short(value):
    """The part of a cell that prints on one line of the PDF table, as a clerk would look for it."""
    if isinstance(value, dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)[:4]


@pytest.mark.parametrize("kind", LEDGER_KINDS)
def test_each_ledger_pdf_prints_its_rows(seeded, year_of_work, kind, caplog):
    year = year_of_work
    with seeded.test_request_context():
        street = org("JD01")
        title, headers, rows = ledgers.LEDGERS[kind](street, year)
        data = archive.ledger_pdf(kind, street, year)
        text = pdf_text(data).replace("\n", "").replace(" ", "")
    page = PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert page.width > page.height, "a ledger prints on landscape pages"
    # The renderer's English notes reach the console of `flask export archive`: a ledger gives none.
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("xhtml2pdf")]
    assert rows, f"the demo year has no {title} rows"
    assert title in text and all(h in text for h in headers)
    for row in rows:
        cells = [_short(c) for c in row if c not in (None, "")]
        assert all(c.replace(" ", "") in text for c in cells[:3]), (title, row)


@pytest.mark.parametrize("kind", LEDGER_KINDS)
def test_each_ledger_spreadsheet_opens_with_the_same_rows(seeded, year_of_work, login_as, kind):
    year = year_of_work
    with seeded.test_request_context():
        street = org("JD01")
        _title, headers, rows = ledgers.LEDGERS[kind](street, year)
    data = login_as("jd_reviewer").get(f"/admin/organisation/export/?id={street.pk}&kind={kind}&fmt=xlsx&year={year}").data
    sheet = load_workbook(io.BytesIO(data)).active
    got = list(sheet.iter_rows(values_only=True))
    assert list(got[0]) == headers
    assert len(got) == len(rows) + 1 and len(rows) > 0
    assert sorted(_plain(r[0]) for r in got[1:]) == sorted(_plain(r[0]) for r in rows)


def _plain(value):
    """A cell as text, with the datetime openpyxl reads back for a date cell turned into that date."""
    return str(value.date() if isinstance(value, dt.datetime) else value)
