"""Whole documents: a pledge letter, the board sheet, ledgers, and a year's archive as a zip with a manifest."""
import collections
import contextlib
import ctypes
import datetime as dt
import gc
import hashlib
import itertools
import multiprocessing
import os
import queue
import re
import uuid
import zipfile
from pathlib import Path

from documents import jobs
from documents.board import board_for
from documents.organisation import Organisation
from documents.pledge import Pledge
from exporters import ledgers, pdf, plaques, spreadsheet
from exporters.pdf import qr_data_uri, register_fonts, render


# Characters: a longer value prints as a block that flows across pages. A table row cannot be cut,
# so xhtml2pdf would shrink it to one page (a 5,000-character field came out at 5.5 pt).
LONG_VALUE = 300
# A street's year has thousands of ledger rows and published pledges: one xhtml2pdf render of them all took over 600 s
# (the batch limit) on 2 cores, so longer ledgers are printed in volumes and longer boards one sheet per organisation,
# each rendered as a task of its own.
LEDGER_ROWS_PER_FILE = 250
BOARD_PLEDGES_PER_FILE = 200


def letter_sections(pledge):
    """The letter's sections, each as runs of (long, [(label, text)]): short values in a table, long ones as blocks."""
    return [(section, [(long, list(group)) for long, group in
                       itertools.groupby(rows, key=lambda row: len(row[1]) > LONG_VALUE)])
            for section, rows in pledge.display_rows()]


def pledge_pdf(pledge):
    header = f"{pledge.organisation.name} · {pledge.year}年度公开承诺"
    return render("pledge_letter.html", pledge=pledge, sections=letter_sections(pledge), header=header)


def board_url(base_url, organisation, year):
    return f"{base_url.rstrip('/')}/board/{organisation.code}?year={year}"


def board_pdf(organisation, year, base_url, sections=None):
    """The board sheet of an organisation (of the given sections of its board, else of all of them)."""
    return render("board_sheet.html", organisation=organisation, year=year,
                  sections=board_for(organisation, year) if sections is None else sections,
                  qr=qr_data_uri(board_url(base_url, organisation, year)), today=dt.date.today(),
                  header=f"{organisation.name} · 党务公开栏")


def board_files(organisation, year, base_url):
    """([(name in the zip, bytes)], [further task]) of a board: one sheet, or, past BOARD_PLEDGES_PER_FILE, one task per
    organisation of the board, each sheet one core's work instead of all of them one after another in one process."""
    sections = board_for(organisation, year)
    if sum(len(pledges) for _org, pledges in sections) <= BOARD_PLEDGES_PER_FILE:
        return [(f"{organisation.code}_{year}_公示表.pdf", board_pdf(organisation, year, base_url, sections))], []
    return [], [("sheet", year, base_url, section) for section in sections]


def ledger_pdf(kind, organisation, year, ledger=None, volume=None):
    """A ledger as PDF: of the given (title, headers, rows), else of the organisation's year; `volume` (第N册) if a part."""
    title, headers, rows = ledger or ledgers.LEDGERS[kind](organisation, year)
    shown = f"{title}（第{volume['n']}册）" if volume else title
    return render("ledger.html", title=shown, headers=headers, rows=rows, organisation=organisation, year=year,
                  volume=volume, today=dt.date.today(), header=f"{organisation.name} · {shown}")


def ledger_xlsx(kind, organisation, year, ledger=None):
    title, headers, rows = ledger or ledgers.LEDGERS[kind](organisation, year)
    return spreadsheet.workbook_bytes(title, headers, rows)


def ledger_files(kind, fmt, organisation, year):
    """([(name in the zip, bytes)], [further task]) of one ledger, its rows read once: one .xlsx or PDF, or past
    LEDGER_ROWS_PER_FILE rows one task per PDF volume (第1册…), as xhtml2pdf's time per row and memory grow with the
    rows of one document (a 500-row volume 38 ms a row and +80 MB, 250 rows 25 ms and +50 MB)."""
    title, headers, rows = ledgers.LEDGERS[kind](organisation, year)
    stem = f"台账/{organisation.code}_{year}_{title}"
    if fmt == "xlsx":
        return [(f"{stem}.xlsx", ledger_xlsx(kind, organisation, year, (title, headers, rows)))], []
    if len(rows) <= LEDGER_ROWS_PER_FILE:
        return [(f"{stem}.pdf", ledger_pdf(kind, organisation, year, (title, headers, rows)))], []
    starts = range(0, len(rows), LEDGER_ROWS_PER_FILE)
    return [], [("volume", organisation.pk, year, title, headers,
                 {"n": n, "count": len(starts), "first": start + 1, "last": min(start + LEDGER_ROWS_PER_FILE, len(rows)),
                  "total": len(rows)}, rows[start:start + LEDGER_ROWS_PER_FILE]) for n, start in enumerate(starts, 1)]


def volume_file(task):
    """(name in the zip, bytes) of one volume of a long ledger."""
    _kind, organisation_id, year, title, headers, volume, rows = task
    organisation = Organisation.objects(pk=organisation_id).order_by().first()
    return (f"台账/{organisation.code}_{year}_{title}_第{volume['n']}册.pdf",
            ledger_pdf(None, organisation, year, (title, headers, rows), volume))


def filename(pledge):
    return f"{pledge.organisation.code}_{pledge.pledger}_{pledge.year}_{'党员' if pledge.member else '党组织'}公开承诺书_{pledge.pk}.pdf"


def load_pledge(pledge_id):
    """A pledge by `_id` alone: no default ordering, so the lookup is not a scan plus a sort."""
    return Pledge.objects(pk=pledge_id).order_by().first()


def pledge_ids(organisation, year):
    return list(Pledge.objects(org_path=organisation.pk, year=year).scalar("pk"))


def archive_tasks(organisation, year, base_url):
    """What goes into a year's archive, one picklable task per file (or per ledger or board, giving its parts), the
    longest first: a street's ledgers and board take minutes, so their parts start first and the short letters fill
    both cores to the end instead of one core printing volumes after them while the other idles.
    """
    tasks = [("board", organisation.pk, year, base_url)] + ledger_tasks(organisation, year)
    tasks += plaques.archive_tasks(organisation, year)
    return tasks + [("letter", pledge_id) for pledge_id in pledge_ids(organisation, year)]


def ledger_tasks(organisation, year):
    """Every ledger of an organisation's year, as PDF and as .xlsx."""
    return [("ledger", organisation.pk, year, kind, fmt) for kind in ledgers.LEDGERS for fmt in ("pdf", "xlsx")]


def render_task(task):
    """(name in the zip, bytes) of a letter or a plaque."""
    if task[0] == "letter":
        pledge = load_pledge(task[1])
        return f"承诺书/{filename(pledge)}", pledge_pdf(pledge)
    return plaques.render_task(task)


def run_task(task):
    """([(name in the zip, bytes)], [further task]) of one archive task: a long ledger or board gives its parts as tasks."""
    if task[0] == "volume":
        return [volume_file(task)], []
    if task[0] == "sheet":
        _kind, year, base_url, section = task
        return [(f"公示表/{section[0].code}_{year}_公示表.pdf", board_pdf(section[0], year, base_url, [section]))], []
    if task[0] not in ("board", "ledger"):
        return [render_task(task)], []
    organisation = Organisation.objects(pk=task[1]).order_by().first()
    if task[0] == "board":
        return board_files(organisation, task[2], task[3])
    return ledger_files(task[3], task[4], organisation, task[2])


def _run_in_worker(task):
    """Run a task in a pool process; after a long one give the freed memory back, else the worker stays at its peak."""
    result = run_task(task)
    if task[0] != "letter":
        gc.collect()
        with contextlib.suppress(OSError, AttributeError):  # glibc only: CPython keeps freed heap otherwise
            ctypes.CDLL("libc.so.6").malloc_trim(0)
    return result


_worker_context = None


def _init_worker(app_factory):
    """Give a pool process its own app (templates, database connection), fonts and the batch render limit."""
    global _worker_context
    _worker_context = app_factory().app_context()
    _worker_context.push()
    register_fonts()
    pdf.for_batches()


def write_archive(target, tasks, app_factory, progress=None, workers=None, files=()):
    """Render the tasks on every core and stream each file into a zip as it arrives, then add the manifest.

    xhtml2pdf renders one document at a time per process, so the files are rendered by a pool of
    processes, each with an app made by `app_factory`. A task may give further tasks (the volumes of a long
    ledger, the sheets of a street's board): they go to the front of the queue, so the long parts start first
    and both cores stay busy to the end. Only two tasks per process are handed out at a time, and results are
    written to the zip as soon as they arrive, so memory holds a few PDFs and the parts not yet handed out, not
    the whole archive. `files` already rendered go in first. `progress`, if given, is called with the number of
    tasks done and the number known so far.
    """
    manifest, pending, finished = [], collections.deque(tasks), queue.SimpleQueue()
    done, total, running = 0, len(tasks), 0
    workers = workers or os.cpu_count()
    context = multiprocessing.get_context("spawn")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle, \
            context.Pool(workers, initializer=_init_worker, initargs=(app_factory,)) as pool:
        made = list(files)
        while True:
            for name, data in made:
                bundle.writestr(name, data)
                manifest.append((hashlib.sha256(data).hexdigest(), name, len(data)))
            while pending and running < 2 * workers:
                pool.apply_async(_run_in_worker, (pending.popleft(),), callback=finished.put,
                                 error_callback=finished.put)
                running += 1
            if not running:
                break
            result = finished.get()
            running -= 1
            if isinstance(result, BaseException):
                raise result
            made, more = result
            pending.extendleft(reversed(more))
            done, total = done + 1, total + len(more)
            if progress:
                progress(done, total)
        lines = [f"{digest}  {name}" for digest, name, _size in manifest]
        bundle.writestr("MANIFEST.sha256", "\n".join(lines) + "\n")
    return manifest


def job_key(key):
    """The part of a job's id that a page's form sends (one form, clicked twice, sends it twice): letters and digits."""
    return re.sub(r"[^0-9A-Za-z]", "", key)[:40] or uuid.uuid4().hex


def start_archive_job(organisation, year, base_url, user, key, job_dir):
    """Start the job that builds a year's archive for download; the same key (one form, clicked twice) finds it."""
    key = job_key(key)
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
        manifest = write_archive(target, tasks, app_factory, progress=lambda n, total: report(done=n, total=total))
    partial.replace(path)
    return {"path": str(path), "files": len(manifest) + 1, "size": path.stat().st_size,
            "filename": job.params["filename"]}


# A PDF export of more pledges than this runs as a job with a progress bar instead of inside the request.
FILES_IN_REQUEST = 20


def start_files_job(tasks, title, user, organisation_id, job_dir):
    """Start the job that renders archive tasks (letters, a board sheet, ledgers) for download.

    One file is downloaded as it is, several as a zip named after `title` with a manifest. The job's
    id is the user, the tasks and the minute: a second click finds the same job, a later export starts anew.
    Each task is kept in a document of its own: FerretDB stores no array directly inside an array.
    """
    digest = hashlib.sha256(repr((user.pk, tasks, f"{dt.datetime.now():%Y%m%d%H%M}")).encode()).hexdigest()[:20]
    return jobs.start(f"files:{digest}", "files", user.pk, organisation_id, {
        "tasks": [{"task": list(t)} for t in tasks], "title": title, "path": str(Path(job_dir) / f"files_{digest}")},
        total=len(tasks))


def run_files_job(job, report, app_factory):
    """Render a files job under a temporary name, then move it into place; safe to run again."""
    tasks, title = [tuple(t["task"]) for t in job.params["tasks"]], job.params["title"]
    report(done=0, total=len(tasks), message=f"正在生成{title}")
    path = Path(job.params["path"])
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    with open(partial, "wb") as target:
        files, more = run_task(tasks[0]) if len(tasks) == 1 else ([], tasks)
        if len(files) == 1 and not more:
            name, data = files[0]
            target.write(data)
            report(done=1)
        else:
            name = f"{title}.zip"
            write_archive(target, more, app_factory, progress=lambda n, total: report(done=n, total=total), files=files)
    partial.replace(path)
    mimetype = {".pdf": "application/pdf", ".xlsx": spreadsheet.XLSX_MIME}.get(Path(name).suffix, "application/zip")
    return {"path": str(path), "files": len(tasks), "size": path.stat().st_size, "filename": Path(name).name,
            "mimetype": mimetype}
