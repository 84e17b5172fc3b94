"""Benchmark: one pledge letter against bare xhtml2pdf on the same HTML, and the archive's memory at 30 vs 300 letters."""
import functools
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import ObjectId  # noqa: E402
from flask import render_template  # noqa: E402
from xhtml2pdf import pisa  # noqa: E402

from adminapp import create_app  # noqa: E402
from documents import Organisation, Pledge  # noqa: E402
from exporters import archive, pdf, typesetting  # noqa: E402
from scripts.demo_db import demo_app  # noqa: E402

REPEATS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def letters(pledge_id):
    """Time the letter path (load by _id, names, template, render) against CreatePDF alone on its HTML."""
    pledge = archive.load_pledge(pledge_id)
    html = render_template("pdf/pledge_letter.html", pledge=pledge, header="x")
    pdf.register_fonts()
    full, bare = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        archive.render_task(("letter", pledge_id))
        t1 = time.perf_counter()
        pisa.CreatePDF(html, dest=io.BytesIO(), encoding="utf-8", link_callback=pdf.link_callback,
                       resource_policy=typesetting.POLICY)
        t2 = time.perf_counter()
        full.append(t1 - t0)
        bare.append(t2 - t1)
    full.sort(), bare.sort()
    print(f"letter: median {full[len(full) // 2] * 1000:.0f} ms; bare CreatePDF on the same HTML "
          f"{bare[len(bare) // 2] * 1000:.0f} ms; ratio {full[len(full) // 2] / bare[len(bare) // 2]:.2f}", flush=True)


def grow_to(organisation, year, count):
    """Copy an existing letter's pledge until the organisation-year has `count` pledges."""
    collection = Pledge._get_collection()
    model = collection.find_one({"organisation": organisation.pk, "year": year})
    have = len(archive.pledge_ids(organisation, year))
    if count > have:
        collection.insert_many([{**model, "_id": ObjectId()} for _ in range(count - have)])


def archive_memory(app, organisation, year, count):
    grow_to(organisation, year, count)
    tasks = archive.archive_tasks(organisation, year, "http://127.0.0.1:5000")
    start, peak = rss_mb(), [rss_mb()]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as target:
        archive.write_archive(target, tasks, functools.partial(create_app, {"MONGODB_URI": app.config["MONGODB_URI"], "POSTGRES_URL": None}), progress=lambda _n, _total: peak.append(rss_mb()))
        size = target.tell()
    print(f"archive of {len(tasks)} files ({count} letters): {time.perf_counter() - t0:.1f}s, "
          f"{size / 1024 / 1024:.1f} MB zip, parent RSS {start:.0f} MB -> peak {max(peak):.0f} MB "
          f"(growth {max(peak) - start:.1f} MB)", flush=True)


def main():
    with demo_app() as app:
        organisation = Organisation.objects(code="SQ01").first()
        letters(Pledge.objects(organisation=organisation, year=2026, scope="member").first().pk)
        for count in (30, 300):
            archive_memory(app, organisation, 2026, count)


if __name__ == "__main__":
    main()
