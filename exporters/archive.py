"""Whole documents: a pledge letter, the board sheet, ledgers, and a year's archive as a zip with a manifest."""
import datetime as dt
import hashlib
import multiprocessing
import os
import re
import uuid
import zipfile
from pathlib import Path

from documents import jobs
from documents.board import board_for
from documents.organisation import Organisation
from documents.pledge import Pledge
from exporters import ledgers, plaques, spreadsheet
from exporters.pdf import qr_data_uri, register_fonts, render


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


def load_pledge(pledge_id):
    """A pledge by `_id` alone: no default ordering, so the lookup is not a scan plus a sort."""
    return Pledge.objects(pk=pledge_id).order_by().first()


def pledge_ids(organisation, year):
    return list(Pledge.objects(org_path=organisation.pk, year=year).scalar("pk"))


def archive_tasks(organisation, year, base_url):
    """What goes into a year's archive, one picklable task per file, in the order they are written."""
    tasks = [("letter", pledge_id) for pledge_id in pledge_ids(organisation, year)]
    tasks.append(("board", organisation.pk, year, base_url))
    for kind in ledgers.LEDGERS:
        tasks += [("ledger", organisation.pk, year, kind, "pdf"), ("ledger", organisation.pk, year, kind, "xlsx")]
    return tasks + plaques.archive_tasks(organisation, year)


def render_task(task):
    """(name in the zip, bytes) of one archive file."""
    if task[0] == "letter":
        pledge = load_pledge(task[1])
        return f"承诺书/{filename(pledge)}", pledge_pdf(pledge)
    if task[0] in plaques.RENDERERS:
        return plaques.render_task(task)
    organisation = Organisation.objects(pk=task[1]).order_by().first()
    year = task[2]
    if task[0] == "board":
        return f"{organisation.code}_{year}_公示表.pdf", board_pdf(organisation, year, task[3])
    kind, fmt = task[3], task[4]
    title = ledgers.LEDGERS[kind](organisation, year)[0]
    data = ledger_pdf(kind, organisation, year) if fmt == "pdf" else ledger_xlsx(kind, organisation, year)
    return f"台账/{organisation.code}_{year}_{title}.{fmt}", data


_worker_context = None


def _init_worker(app_factory):
    """Give a pool process its own app (templates, database connection) and fonts."""
    global _worker_context
    _worker_context = app_factory().app_context()
    _worker_context.push()
    register_fonts()


def write_archive(target, tasks, app_factory, progress=None, workers=None):
    """Render the tasks on every core and stream each file into a zip as it arrives, then add the manifest.

    xhtml2pdf renders one document at a time per process, so the files are rendered by a pool of
    processes, each with an app made by `app_factory`. Results are written to the zip in task order
    as soon as they arrive, so memory holds a few PDFs, not the whole archive.
    `progress`, if given, is called with the number of files written so far.
    """
    manifest = []
    context = multiprocessing.get_context("spawn")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle, \
            context.Pool(workers or os.cpu_count(), initializer=_init_worker, initargs=(app_factory,)) as pool:
        for name, data in pool.imap(render_task, tasks):
            bundle.writestr(name, data)
            manifest.append((hashlib.sha256(data).hexdigest(), name, len(data)))
            if progress:
                progress(len(manifest))
        lines = [f"{digest}  {name}" for digest, name, _size in manifest]
        bundle.writestr("MANIFEST.sha256", "\n".join(lines) + "\n")
    return manifest


def start_archive_job(organisation, year, base_url, user, key, job_dir):
    """Start the job that builds a year's archive for download; the same key (one form, clicked twice) finds it."""
    key = re.sub(r"[^0-9A-Za-z]", "", key)[:40] or uuid.uuid4().hex
    path = Path(job_dir) / f"archive_{organisation.pk}_{year}_{key}.zip"
    return jobs.start(f"archive:{organisation.pk}:{year}:{key}", "archive", user.pk, organisation.pk, {
        "organisation": str(organisation.pk), "year": year, "base_url": base_url, "path": str(path),
        "filename": f"{organisation.code}_{year}_归档.zip"})


def run_archive_job(job, report, app_factory):
    """Build the zip of an archive job under a temporary name, then move it into place; safe to run again."""
    organisation = Organisation.objects(pk=job.params["organisation"]).order_by().first()
    tasks = archive_tasks(organisation, job.params["year"], job.params["base_url"])
    report(done=0, total=len(tasks), message="正在生成承诺书、公示表和台账")
    path = Path(job.params["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "wb") as target:
        manifest = write_archive(target, tasks, app_factory, progress=lambda n: report(done=n))
    partial.replace(path)
    return {"path": str(path), "files": len(manifest) + 1, "size": path.stat().st_size,
            "filename": job.params["filename"]}
