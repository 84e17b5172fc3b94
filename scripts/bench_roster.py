"""Benchmark: check and import a 10,000-row roster against a fresh embedded database, then compare with insert_many.

Three imports: the first (every row new), a full re-import (every row's post changed, so every row is an
update) and the same file once more (every row unchanged).
"""
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bson import ObjectId  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from documents import Member, User, idcard  # noqa: E402
from documents.base import now  # noqa: E402
from documents.roster import CHUNK, COLUMNS, Limits, _values, commit, prepare  # noqa: E402
from scripts.demo_db import demo_app  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000


IMPORTS = (("first import", "职工"), ("full re-import", "职员"), ("same file again", "职员"))


def roster_bytes(n, post="职工"):
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([h for h, _ in COLUMNS])
    for i in range(n):
        first17 = f"410103{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
        first17 = first17[:6] + first17[6:14] + f"{(i // 1000) % 10}{i % 100:02d}"
        sheet.append([f"测试{i}", "", first17 + idcard.check_digit(first17), "13900000000", "", "",
                      ["SQ01", "QY01", "SY01", "JG01", "LX01"][i % 5], post, "", "无职党员", "", "在册"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def insert_many_seconds(db, docs):
    """A raw insert_many of these documents into a fresh collection indexed like the member collection."""
    scratch = db["bench_insert_many"]
    scratch.drop()
    for name, spec in Member._get_collection().index_information().items():
        if name != "_id_":
            scratch.create_index(spec["key"], unique=spec.get("unique", False))
    t0 = time.perf_counter()
    for start in range(0, len(docs), CHUNK):
        scratch.insert_many(docs[start:start + CHUNK])
    elapsed = time.perf_counter() - t0
    scratch.drop()
    return elapsed


def main():
    with demo_app():
        admin = User.objects(username="admin").first()
        limits = Limits(64 * 1024 * 1024, 512 * 1024 * 1024, ROWS)
        raw = None
        print(f"load average at start {os.getloadavg()[0]:.1f}", flush=True)
        for label, post in IMPORTS:
            data = roster_bytes(ROWS, post)
            t0 = time.perf_counter()
            batch = prepare(admin, "bench.xlsx", data, limits)
            t1 = time.perf_counter()
            phases = [("读取批次", time.perf_counter())]
            outcome = commit(batch.pk, admin, lambda message=None, **_kw: message and phases.append(
                (message, time.perf_counter())))
            t2 = time.perf_counter()
            phases.append(("", t2))
            steps = {}
            for (name, start), (_next, end) in zip(phases, phases[1:]):
                steps[name] = steps.get(name, 0) + end - start
            if raw is None:  # the same 10,000 members, once: later imports write fewer new documents or none
                stamp = now()
                raw = insert_many_seconds(Member._get_db(), [
                    {"_id": ObjectId(), **_values(r), "version": 1, "created_at": stamp, "updated_at": stamp}
                    for r in batch.creates + batch.updates])
            print(f"{label}: {ROWS} rows, check {t1 - t0:.1f}s, write {t2 - t1:.1f}s "
                  f"(created {outcome['created']}, updated {outcome['updated']}, unchanged {outcome['unchanged']}, "
                  f"rejected {outcome['rejected']}), members now {Member.objects.count()}; "
                  f"raw insert_many of {ROWS} members {raw:.1f}s: check + write = {(t2 - t0) / raw:.1f}x, "
                  f"write = {(t2 - t1) / raw:.1f}x insert_many; load average {os.getloadavg()[0]:.1f}", flush=True)
            print("  steps: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in steps.items()), flush=True)


if __name__ == "__main__":
    main()
