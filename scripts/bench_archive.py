"""Benchmark a year's archive at street size: letters, wall time, letters/s, CPU of both cores, RSS per process.

    .venv/bin/python scripts/bench_archive.py [--uri mongodb://…/db --postgres-url … --reuse] [--data var/bench/…]
                                              [--org CODE] [--year 2026] [--letters N] [--out results.json]

Fills the database as scripts/bench.py does (its cached street build), then runs the function behind
`flask export archive` (archive_tasks + write_archive, worker processes on every core, tasks in the archive's own
order) for the organisation-year with the most pledges, sampling every 2 s the resident memory of this process and
of each worker, the tasks done so far and the load average; prints the RSS after the first 100 and 1,000 tasks and
at the end, each process's peak. Also one letter against bare xhtml2pdf.pisa.CreatePDF on the same HTML
(scripts/bench.py's letter part).
"""
import argparse
import contextlib
import datetime as dt
import functools
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402 - sets up sys.path for the project too
from adminapp import create_app, db  # noqa: E402
from adminapp.config import TestConfig  # noqa: E402
from documents import Organisation, Pledge  # noqa: E402
from exporters import archive  # noqa: E402

SAMPLE_SECONDS = 2


def rss_mb(pid):
    """Resident memory of a live process in MB, from /proc (None once it has gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return None


def cpu_s(pid):
    """CPU seconds (user + system) a live process has used, from /proc (None once it has gone)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def biggest_year(year):
    """The organisation whose year (its own and its branches' pledges) holds the most pledges."""
    return max(Organisation.objects.order_by(), key=lambda o: Pledge.objects(org_path=o.pk, year=year).count())


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: (seconds, tasks done, {pid: RSS MB}, 1-minute load, {pid: CPU s}) of this process and its
    children: the CPU seconds show whether each worker stays busy to the end."""

    def __init__(self, written):
        super().__init__(daemon=True)
        self.written, self.samples, self.done, self.t0 = written, [], threading.Event(), time.perf_counter()

    def take(self):
        pids = [os.getpid()] + [p for p in bench._with_children(os.getpid())[1:]]
        sample = (time.perf_counter() - self.t0, self.written[0],
                  {pid: rss for pid in pids if (rss := rss_mb(pid)) is not None}, os.getloadavg()[0],
                  {pid: cpu for pid in pids if (cpu := cpu_s(pid)) is not None})
        self.samples.append(sample)
        print(f"# {sample[0]:.0f} s, {sample[1]}/{self.written[1]} tasks, load {sample[3]:.1f}: " + ", ".join(
            f"{'parent' if pid == pids[0] else pid} {mb:.0f} MB {sample[4].get(pid, 0):.0f} s CPU"
            for pid, mb in sample[2].items()), flush=True)

    def run(self):
        while not self.done.wait(SAMPLE_SECONDS):
            self.take()


def run_archive(app, organisation, year, letters, only_letters, db_cpu):
    """Build the archive into a temporary file with the archive's own functions; its figures."""
    tasks = archive.archive_tasks(organisation, year, "http://127.0.0.1:5000")
    letter_tasks = [t for t in tasks if t[0] == "letter"][:letters]
    tasks = ([] if only_letters else [t for t in tasks if t[0] != "letter"]) + letter_tasks
    factory = functools.partial(create_app, {"MONGODB_URI": app.config["MONGODB_URI"], "POSTGRES_URL": None})
    written = [0, len(tasks)]
    sampler = Sampler(written)

    def progress(n, total):
        written[:] = [n, total]
        if n in (100, 1000):
            sampler.take()

    cpu_before = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    db_before = db_cpu()
    sampler.take()
    sampler.start()
    with tempfile.TemporaryFile(dir=ROOT / "var") as target:
        files = len(archive.write_archive(target, tasks, factory, progress=progress)) + 1
        size = target.tell()
    sampler.done.set()
    wall = time.perf_counter() - sampler.t0
    cpu = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
              for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) - cpu_before
    db_after = db_cpu()
    parent = os.getpid()
    peak = {}
    for _t, _n, rss, _load, _cpu in sampler.samples:
        for pid, mb in rss.items():
            peak[pid] = max(peak.get(pid, 0), mb)

    def at(n):
        """Total and per-process RSS of the first sample taken once n tasks were done."""
        sample = next((s for s in sampler.samples if s[1] >= n), sampler.samples[-1])
        return {"files": sample[1], "s": round(sample[0]), "parent MB": round(sample[2].get(parent, 0)),
                "workers MB": sorted(round(mb) for pid, mb in sample[2].items() if pid != parent and mb > 50)}

    marks = {f"after {n} tasks": at(n) for n in (100, 1000) if n < written[1]}
    marks["end"] = at(written[1])
    first, last = marks.get("after 100 tasks", marks["end"]), marks["end"]
    growth = (last["parent MB"] + sum(last["workers MB"])) - (first["parent MB"] + sum(first["workers MB"]))
    loads = [s[3] for s in sampler.samples]
    return {"org": organisation.code, "year": year, "tasks": written[1], "files in zip": files, "letters": len(letter_tasks),
            "wall s": round(wall, 1), "letters/s (letters / wall)": round(len(letter_tasks) / wall, 2),
            "load average (1 min) during the run, mean / max": (round(sum(loads) / len(loads), 1), round(max(loads), 1)),
            "zip MB": round(size / 2 ** 20, 1),
            "CPU s (this process and workers)": round(cpu, 1),
            "cores busy (of {})".format(os.cpu_count()): round(cpu / wall, 2),
            "database CPU s": {k: round(db_after[k] - db_before[k], 1) for k in db_after if db_after[k] is not None},
            "peak RSS MB": {"parent": round(peak.pop(parent)),
                            "workers": sorted(round(mb) for mb in peak.values() if mb > 50)},
            "RSS": marks, "RSS growth MB (100 tasks -> end, all processes)": round(growth),
            "samples": [(round(t), n, {("parent" if pid == parent else pid): round(mb) for pid, mb in rss.items()}, load,
                         {("parent" if pid == parent else pid): round(s, 1) for pid, s in cpu.items()})
                        for t, n, rss, load, cpu in sampler.samples]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="use this server and database instead of a private one")
    parser.add_argument("--postgres-url", default=os.environ.get("PLEDGEDESK_POSTGRES_URL"),
                        help="with --uri: the PostgreSQL under that FerretDB, for the project's indexes")
    parser.add_argument("--data", type=Path, help="restore this cached build (a var/bench/street-<tree> directory)")
    parser.add_argument("--reuse", action="store_true", help="with --uri: keep a database an earlier run filled")
    parser.add_argument("--org", help="organisation code (default: the one whose year holds the most pledges)")
    parser.add_argument("--year", type=int, default=bench.YEAR)
    parser.add_argument("--letters", type=int, help="only the first N letters (with the board sheet and ledgers)")
    parser.add_argument("--only-letters", action="store_true", help="leave out the board sheet, ledgers and plaques")
    parser.add_argument("--repeat", type=int, default=5, help="renders of the one letter against bare CreatePDF")
    parser.add_argument("--out", type=Path, help="write the results, with every RSS sample, as JSON here")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        if args.uri:
            uri, postgres_url = args.uri, args.postgres_url
        else:
            work = ROOT / "var" / "bench"
            work.mkdir(parents=True, exist_ok=True)
            server = stack.enter_context(bench.DATABASE(stack.enter_context(tempfile.TemporaryDirectory(dir=work))))
            uri, postgres_url = server.uri("bench_street"), server.postgres_url
        config = TestConfig()
        config.MONGODB_URI, config.POSTGRES_URL = uri, postgres_url
        app = create_app(config)
        with app.app_context():
            data = bench.ensure_data("street", uri, args.data, args.reuse and bool(args.uri))
            db.init_db(app)
            print(f"# data: {json.dumps(data, ensure_ascii=False)}", flush=True)
            organisation = Organisation.objects(code=args.org).first() if args.org else biggest_year(args.year)
            letter_id = archive.pledge_ids(organisation, args.year)[0]
            results = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                       "load average at start": os.getloadavg(),
                       "letter": bench.letter(app, letter_id, args.repeat)}
            print(f"# pledge letter: {json.dumps(results['letter'], ensure_ascii=False)}", flush=True)
            meter = bench.cpu_meter(None, uri, postgres_url)
            results["archive"] = run_archive(app, organisation, args.year, args.letters, args.only_letters, meter)
        results["load average at end"] = os.getloadavg()
    shown = {k: v for k, v in results["archive"].items() if k != "samples"}
    print(f"# archive: {json.dumps(shown, ensure_ascii=False, indent=1)}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
