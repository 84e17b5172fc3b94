"""Printed archives: text and fonts in each PDF, long tables, hostile input, the archive zip, spreadsheets."""
import hashlib
import http.server
import io
import threading
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from documents import Pledge, PledgeTemplate
from documents.pledge import PledgeItem
from exporters import archive, pdf
from tests.clock import YEAR
from tests.factories import make_member, org

HOSTILE = ['<b>粗体</b>', '<img src="file:///etc/passwd">', '<img src="http://127.0.0.1:1/x">',
           '<link rel="stylesheet" href="http://127.0.0.1:1/a.css">', '<div style="background:url(/etc/hosts)">x</div>']


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def font_names(data):
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            embedded = descriptor is not None and any(k in descriptor.get_object() for k in ("/FontFile2", "/FontFile"))
            names.add((str(font["/BaseFont"]), embedded))
    return names


def pledge_with(app, items, content="为独居老人上门服务"):
    with app.app_context():
        sq = org("SQ01")
        template = PledgeTemplate.objects(name="社区党员公开承诺", current=True).first()
        pledge = Pledge(scope="member", organisation=sq, member=make_member(name="打印党员", organisation=sq), year=YEAR,
                        template=template, values={"louyuan": "5号楼", "post_duty": "楼院长", "political": "坚决拥护"},
                        items=[PledgeItem(content=f"{content}{i + 1}", owner="本人", expected="居民满意")
                               for i in range(items)])
        pledge.save_checked(None)
        return pledge.pk


def render_letter(app, pledge_id):
    with app.test_request_context():
        return archive.pledge_pdf(Pledge.objects(pk=pledge_id).first())


def test_pledge_letter_has_labels_values_and_an_embedded_cjk_font(seeded):
    data = render_letter(seeded, pledge_with(seeded, 3))
    text = pdf_text(data)
    for words in ("党员公开承诺书", "幸福里社区党支部", "打印党员", "联系服务楼院", "5号楼", "承诺事项", "履行责任人",
                  "完成时限", "预期效果", "为独居老人上门服务1", "一式三份", "第 1 页 共 1 页"):
        assert words in text, words
    assert any("WenQuanYi" in name and embedded for name, embedded in font_names(data))


def test_forty_items_make_several_pages_with_the_header_row_on_each(seeded):
    data = render_letter(seeded, pledge_with(seeded, 40))
    pages = PdfReader(io.BytesIO(data)).pages
    assert len(pages) >= 3
    item_pages = [p.extract_text() for p in pages if "为独居老人上门服务" in p.extract_text()]
    assert len(item_pages) >= 2 and all("履行责任人" in t and "完成时限" in t for t in item_pages)
    assert f"共 {len(pages)} 页" in pages[-1].extract_text()


def test_board_sheet_and_ledgers(seeded):
    with seeded.test_request_context():
        sq = org("SQ01")
        board = pdf_text(archive.board_pdf(sq, YEAR, "http://127.0.0.1:5000"))
        published = Pledge.objects(organisation=sq, year=YEAR, state="published", scope="member").first()
        assert "公开承诺公示" in board and published.member.name in board and published.items[0].content[:8] in board
        draft = Pledge.objects(organisation=sq, year=YEAR, state="draft").first()
        if not Pledge.objects(member=draft.member, state="published").first():
            assert draft.member.name not in board
        for kind, title in (("pledges", "承诺台账"), ("progress", "履诺进度表"), ("comments", "点评台帐"),
                            ("rectifications", "整改台账"), ("evaluation", "考评结果表")):
            assert title in pdf_text(archive.ledger_pdf(kind, sq, YEAR))


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def listener():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    _Counter.hits = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_hostile_text_prints_literally_and_loads_nothing(seeded, listener):
    hostile = HOSTILE + [f'<img src="http://127.0.0.1:{listener}/leak.png">']
    pledge_id = pledge_with(seeded, 1)
    with seeded.app_context():
        Pledge.objects(pk=pledge_id).update_one(set__values__louyuan=" ".join(hostile),
                                                set__items=[PledgeItem(content=h, owner=h) for h in hostile])
    text = pdf_text(render_letter(seeded, pledge_id))
    for h in ("<b>粗体</b>", 'file:///etc/passwd', "background:url(/etc/hosts)"):
        assert h in text.replace("\n", "")
    assert _Counter.hits == 0


def test_the_renderer_itself_refuses_files_and_connections(seeded, listener, tmp_path):
    """Even unescaped markup (which our templates never produce) cannot make the renderer read or connect."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    html = f"""<html><head><link rel="stylesheet" href="http://127.0.0.1:{listener}/a.css">
      <style>@import url(http://127.0.0.1:{listener}/b.css); body {{ background: url(file://{secret}); }}</style></head>
      <body><img src="file://{secret}"><img src="{secret}"><img src="http://127.0.0.1:{listener}/c.png">
      <img src="../../../../etc/passwd"><p>正文</p></body></html>"""
    seen = []
    original = pdf.link_callback
    with seeded.app_context():
        try:
            pdf.link_callback = lambda uri, rel: seen.append(original(uri, rel)) or seen[-1]
            data = pdf.html_to_pdf(html)
        finally:
            pdf.link_callback = original
    assert _Counter.hits == 0
    assert seen and all(result == pdf.BLANK for result in seen)
    assert data.count(b"/Subtype /Image") == data.count(b"/Width 1"), "only blank 1-pixel images were drawn"


def test_archive_zip_matches_its_manifest(seeded, tmp_path):
    target = tmp_path / "archive.zip"
    result = seeded.test_cli_runner().invoke(args=["export", "archive", "--org", "SQ01", "--year", str(YEAR), "-o", str(target)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(target) as bundle:
        lines = bundle.read("MANIFEST.sha256").decode().strip().splitlines()
        listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
        assert set(listed) == set(bundle.namelist()) - {"MANIFEST.sha256"}
        for name, digest in listed.items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
        with seeded.app_context():
            count = Pledge.objects(organisation__in=org("SQ01").subtree_ids, year=YEAR).count()
        assert len([n for n in listed if n.startswith("承诺书/")]) == count
        assert any(n.endswith("公示表.pdf") for n in listed)


def _small_parts_app(config, rows):
    """An archive worker's app with ledger volumes of `rows` rows and one board sheet per organisation."""
    from adminapp import create_app
    archive.LEDGER_ROWS_PER_FILE, archive.BOARD_PLEDGES_PER_FILE = rows, 1
    return create_app(config)


def test_a_street_year_prints_in_volumes_and_sheets_that_hold_every_row(seeded, monkeypatch, tmp_path):
    """Past the limits a ledger comes in volumes (第1册…, each titled with its rows) and a board one sheet per
    organisation, each part a task of its own in the pool (a street's ledger as one task kept one core busy for
    minutes): the progress counts the parts, and together they print every row once. Each ledger reads its pledges
    and progress once, not once per pledge or member."""
    import functools

    from pymongo.collection import Collection

    from documents.board import board_for
    from exporters import ledgers
    from documents import User
    from documents.progress import OPEN_STATES, record
    with seeded.test_request_context():
        street = org("JD01")
        done = Pledge.objects(org_path=street.pk, year=YEAR, state__in=OPEN_STATES).first()
        record(User.objects(username="admin").first(), done, 0, None, "已完成", 100, note="已清理完毕")
        real_find, reads = Collection.find, []
        monkeypatch.setattr(Collection, "find", lambda self, *a, **kw: reads.append(self.name) or real_find(self, *a, **kw))
        progress_rows = ledgers.LEDGERS["progress"](street, YEAR)[2]
        _title, _headers, rows = ledgers.LEDGERS["pledges"](street, YEAR)
        monkeypatch.setattr(Collection, "find", real_find)
        assert len(progress_rows) > 10 and [row[4:6] + row[7:8] for row in progress_rows if row[4] != "未登记"] == [
            ["已完成", "100%", "已清理完毕"]]
        assert sorted(reads) == ["pledge", "pledge", "progress"], reads
        sections = board_for(street, YEAR)
    size = len(rows) // 3 + 1
    tasks = [("ledger", street.pk, YEAR, "pledges", "pdf"), ("board", street.pk, YEAR, "http://127.0.0.1:5000"),
             ("ledger", street.pk, YEAR, "pledges", "xlsx")]
    factory = functools.partial(_small_parts_app, {"MONGODB_URI": seeded.config["MONGODB_URI"], "POSTGRES_URL": None}, size)
    seen = []
    with open(tmp_path / "parts.zip", "wb") as target:
        archive.write_archive(target, tasks, factory, progress=lambda n, total: seen.append((n, total)))
    parts = 3 + len(sections)
    assert seen[-1] == (len(tasks) + parts, len(tasks) + parts) and [n for n, _ in seen] == list(range(1, len(seen) + 1))
    bundle = zipfile.ZipFile(tmp_path / "parts.zip")
    volumes = [bundle.read(f"台账/JD01_{YEAR}_承诺台账_第{n}册.pdf") for n in (1, 2, 3)]
    assert not [name for name in bundle.namelist() if name.endswith("承诺台账.pdf")]
    texts = [pdf_text(data).replace("\n", "").replace(" ", "") for data in volumes]
    for i, row in enumerate(rows):
        assert row[5].replace(" ", "") in texts[i // size], (i, row[5])
    for n, text in enumerate(texts):
        last = min((n + 1) * size, len(rows))
        assert f"承诺台账（第{n + 1}册）" in text and "承诺事项" in text, text[:200]
        assert f"第{n * size + 1}–{last}行，共{len(rows)}行，分3册" in text, text[:200]
    xlsx = bundle.read(f"台账/JD01_{YEAR}_承诺台账.xlsx")
    assert load_workbook(io.BytesIO(xlsx)).active.max_row == len(rows) + 1
    assert len(sections) > 1
    for section, pledges in sections:
        text = pdf_text(bundle.read(f"公示表/{section.code}_{YEAR}_公示表.pdf")).replace("\n", "")
        assert section.name in text and all(p["who"] in text for p in pledges)
    assert len(bundle.namelist()) == 1 + 3 + 1 + len(sections)


def test_cli_exports_a_pledge_and_a_board_sheet(seeded, tmp_path):
    with seeded.app_context():
        pledge_id = str(Pledge.objects(organisation=org("SQ01")).first().pk)
    runner = seeded.test_cli_runner()
    assert runner.invoke(args=["export", "pledge", pledge_id, "-o", str(tmp_path / "p.pdf")]).exit_code == 0
    assert runner.invoke(args=["export", "board", "SQ01", "--year", str(YEAR), "-o", str(tmp_path / "b.pdf")]).exit_code == 0
    result = runner.invoke(args=["export", "ledgers", "--org", "JD01", "--year", str(YEAR), "-o", str(tmp_path / "l.zip")])
    assert result.exit_code == 0 and "已导出" in result.output, result.output
    names = zipfile.ZipFile(tmp_path / "l.zip").namelist()
    assert len([n for n in names if n.startswith("台账/JD01_")]) == 10 and "MANIFEST.sha256" in names
    assert "公开承诺书" in pdf_text((tmp_path / "p.pdf").read_bytes())
    assert runner.invoke(args=["export", "pledge", "nope", "-o", str(tmp_path / "x.pdf")]).exit_code != 0


def test_ledger_spreadsheets_open_with_headers_and_rows(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
    clerk = login_as("sq_clerk")
    data = clerk.get(f"/admin/organisation/export/?id={sq.pk}&kind=pledges&fmt=xlsx&year={YEAR}").data
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("承诺人", "类型", "党组织", "状态") and len(rows) > 5
    assert sheet.freeze_panes == "A2"
    assert login_as("qy_clerk").get(f"/admin/organisation/export/?id={sq.pk}&kind=pledges&fmt=xlsx").status_code == 404


def test_pdf_action_on_rows_and_details(seeded, login_as, tmp_path):
    """Several letters, and a street's ledger, are made by a job: its page shows progress, then the download."""
    from tests.test_roster import wait_for
    seeded.config["JOB_DIR"] = str(tmp_path)
    with seeded.app_context():
        ids = [str(p.pk) for p in Pledge.objects(organisation=org("SQ01"))[:2]]
        street = org("JD01")
        assert len(archive.pledge_ids(street, YEAR)) > archive.FILES_IN_REQUEST
    clerk = login_as("sq_clerk")
    assert clerk.get(f"/admin/pledge/pdf/?id={ids[0]}").data.startswith(b"%PDF")
    response = clerk.post("/admin/pledge/action/", {"action": "pdf", "rowid": ids, "url": "/admin/pledge/"},
                          token_from="/admin/pledge/")
    job_url = response.headers["Location"]
    assert "/admin/job/files" in job_url and 'class="progress-bar' in clerk.get(job_url).get_data(as_text=True)
    assert wait_for(clerk, job_url, timeout=120)["state"] == "done"
    assert "公开承诺书.zip" in clerk.get(job_url).get_data(as_text=True)
    bundle = zipfile.ZipFile(io.BytesIO(clerk.get(job_url + "download").data))
    assert len([n for n in bundle.namelist() if n.startswith("承诺书/")]) == 2 and "MANIFEST.sha256" in bundle.namelist()
    assert login_as("qy_clerk").get(job_url + "download").status_code == 404
    reviewer = login_as("jd_reviewer")
    response = reviewer.get(f"/admin/organisation/export/?id={street.pk}&kind=pledges&fmt=pdf&year={YEAR}")
    job_url = response.headers["Location"]
    assert wait_for(reviewer, job_url, timeout=120)["state"] == "done"
    download = reviewer.get(job_url + "download")
    assert download.data.startswith(b"%PDF") and "JD01" in download.headers["Content-Disposition"]


def test_a_letter_loads_its_pledge_and_names_by_id_only(seeded, monkeypatch):
    """Each letter of an archive costs one find by _id per document it names, and no sort (no scan on FerretDB)."""
    from pymongo.collection import Collection
    from pymongo.cursor import Cursor
    sent = []
    real_find, real_sort = Collection.find, Cursor.sort
    monkeypatch.setattr(Collection, "find", lambda self, *a, **kw: sent.append((self.name, a[0] if a else kw.get("filter")))
                        or real_find(self, *a, **kw))
    monkeypatch.setattr(Cursor, "sort", lambda self, *a, **kw: sent.append(("sort", a)) or real_sort(self, *a, **kw))
    with seeded.app_context():
        pledge_id = Pledge.objects(organisation=org("SQ01"), scope="member").first().pk
        sent.clear()
        name, data = archive.render_task(("letter", pledge_id))
    assert data.startswith(b"%PDF") and name.startswith("承诺书/SQ01_")
    assert [kind for kind, _ in sent if kind == "sort"] == []
    assert all(set(spec) == {"_id"} for _kind, spec in sent), sent
    assert len(sent) <= 4, sent


def test_archive_cli_reports_progress_on_stderr(seeded, tmp_path):
    target = tmp_path / "archive.zip"
    result = seeded.test_cli_runner().invoke(args=["export", "archive", "--org", "SQ01", "--year", str(YEAR), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "正在生成归档" in result.stderr and "正在生成归档" not in result.stdout
    assert "已导出" in result.stdout
