"""承诺卡: a member's card (badge or A6) whose QR code opens that pledge's public page, and a branch's cards at once."""
import io
import re
import subprocess

from pypdf import PdfReader

from documents import Member, Pledge, jobs
from documents.board import PUBLIC_STATES
from tests.clock import YEAR
from tests.factories import org
from tests.test_exports import pdf_text

MM = 72 / 25.4


def qr_codes(data, tmp_path):
    """The text of the QR code on each page, in page order."""
    (tmp_path / "cards.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(tmp_path / "cards.pdf"), str(tmp_path / "card")], check=True)
    return [subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True).stdout.strip()
            for page in sorted(tmp_path.glob("card*.png"))]


def published_member_pledges(app, code="SQ01"):
    with app.app_context():
        return [p for p in Pledge.objects(organisation=org(code), year=YEAR, scope="member") if p.state in PUBLIC_STATES]


def test_a_members_card_opens_exactly_the_published_pledge(seeded, login_as, client, tmp_path):
    pledge = published_member_pledges(seeded)[0]
    with seeded.app_context():
        member = Member.objects(pk=pledge.member.pk).first()
        member.name, member.post = "王𠀀", "3号楼楼长"
        member.save_checked(member.version)
        draft = Pledge.objects(organisation=org("SQ01"), year=YEAR, scope="member", state="draft").first()
    clerk = login_as("sq_clerk")
    data = clerk.get(f"/admin/pledgecard/?id={pledge.pk}&size=badge").data
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) == 1 and [round(float(v) / MM) for v in pages[0].mediabox[2:]] == [54, 86]
    text = pdf_text(data)
    assert "王𠀀" in text and "3号楼楼长" in text and "党员承诺卡" in text and pledge.items[0].content[:8] in text
    assert member.id_number not in text
    url = qr_codes(data, tmp_path)[0]
    assert re.fullmatch(rf"http://localhost/board/SQ01/pledge/{pledge.pk}", url), url
    page = client.get(url.removeprefix("http://localhost")).get_data(as_text=True)
    assert "王𠀀" in page and page.count("<li>") == len(pledge.items)
    assert all(item.content in page for item in pledge.items) and member.id_number not in page
    assert re.findall(r'class="pledge" id="p([0-9a-f]{24})"', page) == [str(pledge.pk)]
    # Nothing else is reachable that way: a draft, another organisation's path, another branch's clerk.
    assert client.get(f"/board/SQ01/pledge/{draft.pk}").status_code == 404
    assert client.get(f"/board/QY01/pledge/{pledge.pk}").status_code == 404
    assert clerk.get(f"/admin/pledgecard/?id={draft.pk}&size=badge").status_code == 404
    assert login_as("qy_clerk").get(f"/admin/pledgecard/?id={pledge.pk}&size=a6").status_code == 404


def test_a_branch_prints_one_a6_card_per_published_member_pledge_as_a_job(seeded, login_as, tmp_path, monkeypatch):
    seeded.config["JOB_DIR"] = str(tmp_path)
    launched = []
    monkeypatch.setattr(jobs, "launch", lambda job_id, attempt: launched.append(job_id))
    wanted = {f"http://localhost/board/SQ01/pledge/{p.pk}" for p in published_member_pledges(seeded)}
    with seeded.app_context():
        sq = org("SQ01")
    details = f"/admin/organisation/details/?id={sq.pk}"
    clerk = login_as("sq_clerk")
    assert "全体党员承诺卡" in clerk.get(details).get_data(as_text=True)
    form = {"id": str(sq.pk), "year": str(YEAR), "size": "a6", "key": "cards1"}
    first = clerk.post("/admin/pledgecard/organisation/", form, token_from=details)
    again = clerk.post("/admin/pledgecard/organisation/", form, token_from=details)
    assert first.headers["Location"] == again.headers["Location"] and len(launched) == 1
    with seeded.app_context():
        jobs.run(launched[0])
    page = clerk.get(first.headers["Location"]).get_data(as_text=True)
    assert f"承诺卡已生成：{len(wanted)} 张" in page and "下载承诺卡 PDF" in page
    response = clerk.get(first.headers["Location"] + "download")
    assert response.mimetype == "application/pdf"
    pages = PdfReader(io.BytesIO(response.data)).pages
    assert [round(float(v) / MM) for v in pages[0].mediabox[2:]] == [105, 148]
    codes = qr_codes(response.data, tmp_path)
    assert len(codes) == len(wanted) >= 2 and set(codes) == wanted
    assert login_as("qy_clerk").get(first.headers["Location"] + "download").status_code == 404
    assert login_as("qy_clerk").post("/admin/pledgecard/organisation/", form, token_from="/admin/").status_code == 404
    # The command line prints the same cards.
    out = tmp_path / "cli" / "cards.pdf"
    out.parent.mkdir()
    result = seeded.test_cli_runner().invoke(args=["export", "cards", "SQ01", "--year", str(YEAR), "--size", "a6",
                                                   "-o", str(out)])
    assert result.exit_code == 0 and f"{len(wanted)} 张承诺卡" in result.output, result.output
    assert len(PdfReader(str(out)).pages) == len(wanted)
