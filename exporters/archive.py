"""Whole documents: a pledge letter, the board sheet, ledgers, and a year's archive as a zip with a manifest."""
import datetime as dt
import hashlib
import zipfile

from documents.board import board_for
from documents.pledge import Pledge
from exporters import ledgers, spreadsheet
from exporters.pdf import qr_data_uri, render


def pledge_pdf(pledge):
    header = f"{pledge.organisation.name} · {pledge.year}年度公开承诺"
    return render("pledge_letter.html", pledge=pledge, header=header)


def board_url(base_url, organisation, year):
    return f"{base_url.rstrip('/')}/board/{organisation.code}?year={year}"


def board_pdf(organisation, year, base_url):
    return render("board_sheet.html", organisation=organisation, year=year, sections=board_for(organisation, year),
                  qr=qr_data_uri(board_url(base_url, organisation, year)), today=dt.date.today(),
                  header=f"{organisation.name} · 党务公开栏")


def ledger_pdf(kind, organisation, year):
    title, headers, rows = ledgers.LEDGERS[kind](organisation, year)
    return render("ledger.html", title=title, headers=headers, rows=rows, organisation=organisation, year=year,
                  today=dt.date.today(), header=f"{organisation.name} · {title}")


def ledger_xlsx(kind, organisation, year):
    title, headers, rows = ledgers.LEDGERS[kind](organisation, year)
    return spreadsheet.workbook_bytes(title, headers, rows)


def filename(pledge):
    return f"{pledge.organisation.code}_{pledge.pledger}_{pledge.year}_{'党员' if pledge.member else '党组织'}公开承诺书_{pledge.pk}.pdf"


def write_archive(target, organisation, year, base_url, progress=None):
    """Write every pledge letter, the board sheet, the ledgers and a manifest into a zip, one file at a time.

    Pledges are read one by one by id, so memory does not grow with their number.
    `progress`, if given, is called once per file written.
    """
    ids = list(Pledge.objects(org_path=organisation.pk, year=year).scalar("pk"))
    manifest = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            archive.writestr(name, data)
            manifest.append((hashlib.sha256(data).hexdigest(), name, len(data)))
            if progress:
                progress(name)
        for pledge_id in ids:
            pledge = Pledge.objects(pk=pledge_id).first()
            add(f"承诺书/{filename(pledge)}", pledge_pdf(pledge))
        add(f"{organisation.code}_{year}_公示表.pdf", board_pdf(organisation, year, base_url))
        for kind in ledgers.LEDGERS:
            title = ledgers.LEDGERS[kind](organisation, year)[0]
            add(f"台账/{organisation.code}_{year}_{title}.pdf", ledger_pdf(kind, organisation, year))
            add(f"台账/{organisation.code}_{year}_{title}.xlsx", ledger_xlsx(kind, organisation, year))
        lines = [f"{digest}  {name}" for digest, name, _size in manifest]
        archive.writestr("MANIFEST.sha256", "\n".join(lines) + "\n")
    return manifest


def archive_size(ids):
    """How many files write_archive will produce for this many pledges (for a progress bar)."""
    return len(ids) + 1 + 2 * len(ledgers.LEDGERS)
