"""Benchmark Pledge Desk at street or county size over HTTP; prints one table and writes JSON.

    .venv/bin/python scripts/bench.py --scale street [--uri mongodb://…/db] [--repeat 5] [--out results.json]

Builds the data with the project's own documents and seed helpers (cached under var/bench/ by scale and
the git tree of documents/), serves the app and a stock Flask-Admin with gunicorn, and times pages as an
administrator, a street reviewer and a branch clerk against the raw replay of the queries each page sent.
"""
import argparse
import contextlib
import datetime as dt
import gzip
import http.cookiejar
import io
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from unittest import mock

import bson
from bson import ObjectId, json_util
from pymongo import MongoClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from adminapp import create_app, db, devserver, embedded_db  # noqa: E402
from adminapp.config import TestConfig  # noqa: E402
from documents import AuditEntry, Member, Organisation, Pledge, User, Vocabulary, audit, audit_view, idcard, summary  # noqa: E402
from documents.base import now  # noqa: E402
from documents.organisation import OrgOwned  # noqa: E402
from documents.pledge import PledgeItem  # noqa: E402
from documents.template import PledgeTemplate  # noqa: E402
from documents import pledging  # noqa: E402
from documents.pledging import template_for  # noqa: E402
from documents.summary import OPTIONAL_CATEGORIES  # noqa: E402
from seed import demo, pledges as seed_pledges  # noqa: E402

# The private database the benchmark starts when no --uri is given: whatever adminapp.embedded_db provides.
DATABASE = embedded_db.EmbeddedDatabase

SCALES = {
    "street": {"streets": 1, "orgs": 36, "members": 5_000, "pledges": 10_000, "audit": 15_000},
    "county": {"streets": 8, "orgs": 200, "members": 50_000, "pledges": 100_000, "audit": 150_000},
}
TYPES = [("社区", "SQ", "社区党支部"), ("企业", "QY", "有限公司党支部"), ("事业单位", "SY", "服务中心党支部"),
         ("机关", "JG", "机关党支部"), ("两新组织", "LX", "联合党支部")]
YEAR = dt.date.today().year
STATES_NOW = ["draft", "submitted", "returned", "approved", "signed", "published", "fulfilling", "published",
              "fulfilling", "published"]
STATES_LAST = ["evaluated"] * 8 + ["fulfilled", "late"]
TIMEOUT = 300
WRITES = {"insert", "update", "delete", "findAndModify", "create", "drop", "dropIndexes"}
# Cursor follow-ups are replayed as many times as the app sent them; createIndexes is MongoEngine's set-up.
FOLLOW_UPS = {"getMore", "killCursors", "endSessions", "createIndexes"}


# -- data ------------------------------------------------------------------------------------------
@contextlib.contextmanager
def cached_labels():
    """Answer Vocabulary.labels from memory while building, as validation asks it once per member."""
    original, memo = Vocabulary.labels.__func__, {}

    def labels(cls, kind, include_inactive=False):
        if (kind, include_inactive) not in memo:
            memo[kind, include_inactive] = original(cls, kind, include_inactive)
        return memo[kind, include_inactive]

    with mock.patch.object(Vocabulary, "labels", classmethod(labels)):
        yield


def _copy_owner(doc, orgs):
    """Set org_path and organisation_name as OrgOwned.copy_owner does on save(), from a map of the organisations."""
    value = doc._data.get(doc.owner_field)
    org = orgs.get(getattr(value, "pk", value))
    doc.org_path = list(org.ancestors) + [org.pk] if org else []
    doc.organisation_name = org.name if org else None


def _insert(document_class, documents):
    """Validate documents and copy their owner as save() would, then insert them 1,000 at a time."""
    collection = document_class._get_collection()
    orgs = {o.pk: o for o in Organisation.objects.no_dereference()} if issubclass(document_class, OrgOwned) else {}
    for start in range(0, len(documents), 1000):
        chunk = documents[start:start + 1000]
        for doc in chunk:
            if orgs:
                _copy_owner(doc, orgs)
            doc.validate()
        collection.insert_many([doc.to_mongo() for doc in chunk], ordered=False)


def build_orgs(size):
    """Streets under one county committee (county scale) with branches of the five types below each."""
    orgs = list(Organisation.objects)
    street = Organisation.objects(code="JD01").first()
    streets = [street]
    if size["streets"] > 1:
        county = Organisation(code="XW01", name="城东县委", level="党委", org_type="机关", secretary="郑国强")
        county.save_checked(None)
        street.parent = county
        street.save_checked(street.version)
        for n in range(2, size["streets"] + 1):
            extra = Organisation(code=f"JD{n:02d}", name=f"第{n}街道党工委", level="党委", org_type="机关",
                                 parent=county, secretary="王建国")
            extra.save_checked(None)
            streets.append(extra)
        orgs = list(Organisation.objects)
    counters = {prefix: 1 for _t, prefix, _s in TYPES}
    n = 0
    while len(orgs) < size["orgs"]:
        org_type, prefix, suffix = TYPES[n % len(TYPES)]
        parent = streets[(n // len(TYPES)) % len(streets)]
        counters[prefix] += 1
        code = f"{prefix}{counters[prefix]:02d}"
        org = Organisation(code=code, name=f"{parent.name[:-3]}第{counters[prefix]}{suffix}", level="党支部",
                           org_type=org_type, parent=parent, secretary=demo.SURNAMES[n % 30] + "书记",
                           contact=f"0371-6600{n:04d}")
        org.save_checked(None)
        orgs.append(org)
        n += 1
    return orgs


def build_members(size, branches, communities, rng):
    """Members spread evenly over the branches, with the demo's mix of categories, as save() would store them."""
    existing = Member.objects.count()
    serial, members = {}, []
    for i in range(size["members"] - existing):
        org = branches[i % len(branches)]
        categories, post = demo.PROFILES[i % len(demo.PROFILES)]
        retired = "离退休" in categories
        birth = dt.date(rng.randint(1944, 1962) if retired else rng.randint(1968, 2001), rng.randint(1, 12),
                        rng.randint(1, 28))
        serial[birth] = serial.get(birth, 99) + 1
        first17 = f"410105{birth:%Y%m%d}{serial[birth]:03d}"
        name = demo.SURNAMES[rng.randrange(len(demo.SURNAMES))] + demo.GIVEN[rng.randrange(len(demo.GIVEN))]
        joined = None if not categories or set(categories) & OPTIONAL_CATEGORIES else \
            dt.date(min(birth.year + rng.randint(20, 35), YEAR - 1), rng.randint(1, 12), 1)
        members.append(Member(
            id=ObjectId(), name=name, id_number=first17 + idcard.check_digit(first17), birth_date=birth,
            joined_on=joined, organisation=org, post=post, duty=demo.DUTIES[org.org_type], categories=categories,
            phone=f"139{rng.randint(10000000, 99999999)}", status="在册" if i % 97 else "转出",
            residential_org=communities[i % len(communities)] if "在职党员" in categories else None, version=1))
    _insert(Member, members)
    return members


def build_pledges(size, members, branches, communities, admin):
    """Member pledges for this year and last, organisation pledges, community pledges, across the states."""
    parsed, templates = {}, {}
    planned = [(org, None, year) for org in branches for year in (YEAR, YEAR - 1)]
    planned += [(m.organisation, m, year) for year in (YEAR, YEAR - 1) for m in members
                if m.status == "在册" and not set(m.categories) & OPTIONAL_CATEGORIES]
    planned += [(communities[i % len(communities)], m, year) for year in (YEAR, YEAR - 1)
                for i, m in enumerate(members) if m.residential_org is not None and m.status == "在册"]
    existing = {(p["organisation"], p.get("member"), p["year"])
                for p in Pledge._get_collection().find({}, {"organisation": 1, "member": 1, "year": 1})}
    planned = [p for p in planned if (p[0].pk, p[1].pk if p[1] else None, p[2]) not in existing]
    planned = planned[:size["pledges"] - len(existing)]
    pledges = []
    for n, (org, member, year) in enumerate(planned):
        categories = tuple(member.categories) if member else ()
        key = (org.org_type, "member" if member else "org", categories, year)
        if key not in templates:
            templates[key] = template_for(org, member, year)
        template = templates[key]
        leading = "党员领导干部" in categories
        if (template.pk, key) not in parsed:
            values, items = seed_pledges._raw(template, org.org_type, year, 4 if not member else 3 if leading else 2)
            values, errors = template.parse_values(values)
            items, item_errors, count_error = template.parse_items(items, categories)
            if errors or item_errors or count_error:
                raise RuntimeError(f"demo content does not fit template {template}: {errors}{item_errors}{count_error}")
            parsed[template.pk, key] = values, items
        values, items = parsed[template.pk, key]
        states = STATES_NOW if year == YEAR else STATES_LAST
        state = states[n % len(states)]
        pledge = Pledge(id=ObjectId(), scope="member" if member else "org", organisation=org, member=member,
                        year=year, template=template, values=dict(values), items=[PledgeItem(**i) for i in items],
                        entered_by=str(admin), entered_by_id=admin.pk, state=state, version=1)
        if state not in ("draft", "submitted", "returned", "approved"):
            pledge.signed_on = dt.date(year, 3, 1)
            pledge.filed_with = org.parent.name if org.parent else org.name
        if state not in ("draft", "submitted", "returned", "approved", "signed"):
            pledge.published_on, pledge.publish_days = dt.date(year, 3, 10), 7
        pledge.refresh_copies()
        pledges.append(pledge)
    _insert(Pledge, pledges)
    return pledges


def build_audit(size, members, pledges, admin, rng):
    """One entry per created member and pledge, as audit.entry stores them, spread over the past year.

    The entries are prepared as the documents the store appends (not validated one by one): at county
    scale, building 150,000 AuditEntry objects took most of the builder's time.
    """
    orgs = {o.pk: o for o in Organisation.objects.no_dereference()}
    known = {str(d.pk): d.name for d in [*orgs.values(), *members, *PledgeTemplate.objects.only("name")]}
    start, wanted = now() - dt.timedelta(days=365), max(0, size["audit"] - AuditEntry.objects.count())
    records = ([(p, "新建承诺") for p in pledges] + [(m, "新建") for m in members])[:wanted]
    collection = AuditEntry._get_collection()
    for first in range(0, len(records), 1000):
        entries = []
        for doc, action in records[first:first + 1000]:
            at = start + dt.timedelta(seconds=rng.randrange(365 * 86400))
            org, local = orgs[doc.organisation.pk], at.replace(tzinfo=dt.timezone.utc).astimezone()
            entry = {
                "_id": ObjectId(), "at": at, **audit.stamps(local),
                "pledge_id": doc.pk if isinstance(doc, Pledge) else None, "actor": str(admin), "action": action,
                "collection": doc._get_collection_name(), "record_id": doc.pk, "organisation_id": org.pk,
                "org_path": list(org.ancestors) + [org.pk], "organisation_name": org.name, "summary": str(doc),
                "before": {}, "after": {k: v for k, v in audit.snapshot(doc).items() if v is not None},
                "template_id": doc.template.pk if isinstance(doc, Pledge) else None}
            entries.append({**entry, "names": audit_view.names_in(types.SimpleNamespace(**entry), known)})
        collection.insert_many(entries, ordered=False)


def build(scale):
    """Create the whole data set of a scale in an empty database; return what took how long."""
    size, rng, timings = SCALES[scale], random.Random(2026), {}
    t0 = time.perf_counter()
    with cached_labels():
        demo.load()
        timings["demo"] = time.perf_counter() - t0
        admin = User.objects(username="admin").first()
        orgs = build_orgs(size)
        branches = [o for o in orgs if o.level == "党支部"]
        communities = [o for o in branches if o.org_type == "社区"]
        timings["orgs"] = time.perf_counter() - t0 - sum(timings.values())
        members = build_members(size, branches, communities, rng)
        timings["members"] = time.perf_counter() - t0 - sum(timings.values())
        pledges = build_pledges(size, members, branches, communities, admin)
        timings["pledges"] = time.perf_counter() - t0 - sum(timings.values())
        build_audit(size, members, pledges, admin, rng)
        timings["audit"] = time.perf_counter() - t0 - sum(timings.values())
        summary.rebuild()  # the organisation-year read models the home page, coverage and board show
        timings["summaries"] = time.perf_counter() - t0 - sum(timings.values())
    return timings


def cache_dir(scale):
    tree = subprocess.run(["git", "rev-parse", "HEAD:documents"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()
    return ROOT / "var" / "bench" / f"{scale}-{tree[:12]}"


def dump(database, target):
    """Write every collection to target; return {collection: documents} (FerretDB counts only by reading them all)."""
    target.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in database.list_collection_names():
        with gzip.open(target / f"{name}.bson.gz", "wb") as out:
            counts[name] = 0
            for doc in database[name].find():
                out.write(bson.encode(doc))
                counts[name] += 1
    return counts


def restore(database, source, only=None):
    """Load the collections dump() wrote (or only those named); return {collection: documents}.

    Audit entries of a dump built before they were stamped with their hour get it as the builder now writes it: free
    while inserting, where `flask backfill-paths` updates each entry (150,000 at county size; README 区县规模).
    """
    counts = {}
    for path in sorted(source.glob("*.bson.gz")):
        name, batch = path.name[:-8], []
        if only and name not in only:
            continue
        counts[name] = 0
        with gzip.open(path, "rb") as src:
            for doc in bson.decode_file_iter(src):
                if name == "audit" and "hour" not in doc and doc.get("at"):
                    doc.update(audit.stamps(doc["at"].replace(tzinfo=dt.timezone.utc).astimezone()))
                batch.append(doc)
                counts[name] += 1
                if len(batch) == 1000:
                    database[name].insert_many(batch)
                    batch = []
            if batch:
                database[name].insert_many(batch)
    return counts


def as_the_app_keeps_it():
    """Give the built or restored data what the app's own writes keep: the builder inserts pledges in bulk, without the
    list-page numbers each save takes, and caches made before the rollups have none (the home page would fall back)."""
    numbered = pledging.backfill_page_numbers()  # recounts the organisations it numbered and rolls everything up
    if summary.OrgYearRollup.objects(pk=summary.BUILT).first() is None:
        return {"pledges numbered": numbered, "summaries": f"all rebuilt ({summary.rebuild()} kept), rolled up"}
    done = "their organisations recounted, all rolled up" if numbered else "kept as loaded (rollups built)"
    return {"pledges numbered": numbered, "summaries": done}


def ensure_data(scale, uri, source=None, reuse=False):
    """Fill the database from the cached dump (source, else the one of documents/' tree), or build it and save the
    dump; return a description. With reuse, a database an earlier run filled from the same dump is kept as it is.

    Runs in the app context of an app connected to uri, as the builder uses the documents.
    """
    client = MongoClient(uri)
    database = client.get_default_database()
    source = Path(source) if source else cache_dir(scale)
    marker = {"_id": "bench", "source": str(source.resolve())}
    t0 = time.perf_counter()
    found = database.bench_source.find_one({"_id": "bench"}) if reuse else None
    reused = found is not None and found["source"] == marker["source"]
    if reused:
        info = {"reused": os.path.relpath(source, ROOT), "counts": found.get("counts")}
    elif (source / "done").exists():
        client.drop_database(database.name)
        counts = restore(database, source)
        info = {"restored from": os.path.relpath(source, ROOT), **as_the_app_keeps_it(),
                "seconds": round(time.perf_counter() - t0, 1)}
    else:
        client.drop_database(database.name)
        timings = build(scale)
        info = {"built": {k: round(v, 1) for k, v in timings.items()}, **as_the_app_keeps_it(),
                "seconds": round(time.perf_counter() - t0, 1)}
        shutil.rmtree(source, ignore_errors=True)
        counts = dump(database, source)
        (source / "done").write_text(json.dumps(info))
    if not reused:
        info["counts"] = {name: counts.get(name, 0) for name in ("organisation", "member", "pledge", "audit")}
        database.bench_source.replace_one({"_id": "bench"}, {**marker, "counts": info["counts"]}, upsert=True)
    client.close()
    return info


# -- serving ---------------------------------------------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(factory, uri, postgres_url, log_dir, workers=None, threads=None):
    """Run scripts/bench_app.py's factory under gunicorn on a free loopback port, with as many workers and threads as
    `make run` unless told otherwise; yield its base URL (its process id is `served.pids[base]`)."""
    port = free_port()
    env = {**os.environ, "MONGODB_URI": uri, "PLEDGEDESK_POSTGRES_URL": postgres_url or "", "SECRET_KEY": "bench",
           "SESSION_COOKIE_SECURE": "0"}
    workers = workers or os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 2
    log = open(log_dir / f"gunicorn-{factory}.log", "ab")  # noqa: SIM115 - closed below
    # The product runs under `make run`'s gunicorn settings (its workers warm up before serving), the stock app bare.
    settings = ["--config", "python:adminapp.devserver"] if factory == "product" else []
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--chdir", str(ROOT / "scripts"), "--workers", str(workers),
         "--worker-class", "gthread", "--threads", str(threads or devserver.THREADS), *settings,
         "--timeout", str(TIMEOUT + 60), "--bind", f"127.0.0.1:{port}", f"bench_app:{factory}()"],
        env={**env, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    served.pids[base] = process.pid
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited early; see {log.name}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=60).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


served.pids = {}


# -- CPU per process group -------------------------------------------------------------------------
def _stat(pid):
    """(CPU seconds, parent pid) of a live process, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[1])


def _with_children(root):
    """root and its direct children (gunicorn's workers, PostgreSQL's backends)."""
    return [root] + [int(p) for p in os.listdir("/proc") if p.isdigit() and _stat(int(p))[1] == root]


def _listener(port):
    """The pid of the process listening on a loopback TCP port (FerretDB), or None."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state, inode = line.split()[1], line.split()[3], line.split()[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            inodes.add(f"socket:[{inode}]")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in inodes for fd in os.listdir(f"/proc/{pid}/fd")):
                return int(pid)
    return None


def _postmaster(postgres_url):
    """The pid of the PostgreSQL serving a Unix-socket URL (first line of its socket lock file), or None."""
    host = urllib.parse.parse_qs(urllib.parse.urlsplit(postgres_url or "").query).get("host")
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(next(Path(host[0]).glob(".s.PGSQL.*.lock")).read_text().split()[0])
    return None


def cpu_meter(base, uri, postgres_url):
    """A function returning {process group: CPU seconds so far} for the app's gunicorn, FerretDB and PostgreSQL."""
    roots = {"app (gunicorn)": served.pids.get(base), "FerretDB": _listener(urllib.parse.urlsplit(uri).port or 27017),
             "PostgreSQL": _postmaster(postgres_url)}
    return lambda: {name: round(sum(_stat(p)[0] for p in _with_children(pid)), 2) if pid else None
                    for name, pid in roots.items()}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """One browser: a cookie jar, logged in through /login with its CSRF token."""

    def __init__(self, base, username=None, password=demo.DEMO_PASSWORD):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())
        if username:
            page = self.opener.open(base + "/login", timeout=TIMEOUT).read().decode()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token})
            request = urllib.request.Request(base + "/login", data=form.encode())
            try:  # not following the redirect: the home page it leads to is timed on its own
                self.opener.open(request, timeout=TIMEOUT)
                raise RuntimeError(f"could not log in as {username}")
            except urllib.error.HTTPError as exc:
                if exc.code != 302 or "/login" in exc.headers.get("Location", ""):
                    raise RuntimeError(f"could not log in as {username}") from exc

    def get(self, path, capture=None):
        """GET a path; return (seconds, status or 'timeout', bytes)."""
        request = urllib.request.Request(self.base + path, headers={"X-Bench-Capture": capture} if capture else {})
        t0 = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT) as reply:
                body, status = reply.read(), reply.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read(), exc.code
        except (TimeoutError, socket.timeout, urllib.error.URLError) as exc:
            if "timed out" not in str(exc):
                raise
            return time.perf_counter() - t0, "timeout", 0
        return time.perf_counter() - t0, status, len(body)


# -- timing ----------------------------------------------------------------------------------------
def percentile(values, share):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def replay(client, commands):
    """Send the read commands a page sent, reading as many batches of each cursor as the app did; return seconds."""
    t0 = time.perf_counter()
    for database_name, command, batches in commands:
        database = client[database_name]
        cursor = database.command(command).get("cursor") or {}
        collection = cursor.get("ns", "").split(".", 1)[-1]
        for _ in range(batches):
            if not cursor.get("id"):
                break
            cursor = database.command({"getMore": cursor["id"], "collection": collection})["cursor"]
        if cursor.get("id"):
            database.command({"killCursors": collection, "cursors": [cursor["id"]]})
    return time.perf_counter() - t0


def replayable(captured):
    """The reads of a captured request, without session fields, each with the number of further batches the app read
    from its cursor (a page that stops early, as a search does, left the rest unread); writes and follow-ups left out.

    Captures made before cursor ids were recorded read every cursor to its end.
    """
    commands, skipped, owner = [], 0, {}
    for database_name, command, *cursor in captured:
        name = next(iter(command))
        if name == "getMore" and command["getMore"] in owner:
            owner[command["getMore"]][2] += 1
        if name in FOLLOW_UPS:
            continue
        if name in WRITES:
            skipped += 1
            continue
        commands.append([database_name, {k: v for k, v in command.items()
                                          if k not in ("lsid", "$db", "$clusterTime", "$readPreference")},
                         0 if cursor else 10 ** 9])
        if cursor:
            owner[cursor[0]] = commands[-1]
    return commands, skipped


def measure(client, path, repeat, budget, raw, capture_dir, stock=None, stock_path=None):
    """Time a page, its raw replay, and the stock page. A first, untimed request records its queries and compiles the
    page's templates in the worker it reaches (50-60 ms of CPU once per worker and page, 0.3-0.4 s under load: with
    N=3 it was the p95 of the list and edit pages); its time is kept as "first"."""
    capture = str(capture_dir / f"{time.monotonic_ns()}.json")
    first, status, size = client.get(path, capture=capture)
    times, statuses = [], {status}
    started = time.perf_counter()
    for _n in range(repeat if status != "timeout" else 0):
        seconds, status, size = client.get(path)
        statuses.add(status)
        if status == "timeout":
            times = []
            break
        times.append(seconds)
        if time.perf_counter() - started > budget:
            break
    row = {"path": path, "n": len(times), "status": "/".join(map(str, sorted(statuses, key=str))), "kb": size // 1024,
           "first": first * 1000}
    if times:
        row.update(p50=statistics.median(times) * 1000, p95=percentile(times, 0.95) * 1000)
    if Path(capture).exists():
        commands, skipped = replayable(json_util.loads(Path(capture).read_text()))
        row.update(commands=len(commands), writes_skipped=skipped)
        floors, started = [], time.perf_counter()
        for _ in range(max(1, len(times))):
            floors.append(replay(raw, commands))
            if time.perf_counter() - started > budget:
                break
        row["floor"] = statistics.median(floors) * 1000
        if times and row["floor"] > 0:
            row["ratio"] = row["p50"] / row["floor"]
    if stock is not None:
        stock_times, started = [], time.perf_counter()
        for _ in range(repeat):
            seconds, status, _size = stock.get(stock_path)
            if status != 200:
                row["stock_status"] = status
                break
            stock_times.append(seconds)
            if time.perf_counter() - started > budget:
                break
        if stock_times:
            row["stock"] = statistics.median(stock_times) * 1000
    return row


def filter_arg(app, endpoint, column):
    """The URL argument of a list view's filter on a column, as Flask-Admin names it."""
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    for key, (_index, flt) in view._filter_args.items():
        if getattr(flt.column, "name", flt.column) == column:
            return f"flt0_{key}"
    raise KeyError(f"{endpoint} has no filter on {column}")


def page_size(app, endpoint):
    return next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint).page_size


def plan(app, database):
    """[(page, role, path, stock path or None)] for every page the benchmark times."""
    sq01 = database.organisation.find_one({"code": "SQ01"})
    jd01 = database.organisation.find_one({"code": "JD01"})
    street_ids = [jd01["_id"]] + [o["_id"] for o in database.organisation.find({"ancestors": jd01["_id"]}, {"_id": 1})]
    member = database.member.find_one({"organisation": sq01["_id"], "status": "在册"})
    pledge = database.pledge.find_one({"organisation": sq01["_id"], "year": YEAR, "state": "draft"})
    published = database.pledge.find_one({"organisation": sq01["_id"], "year": YEAR, "state": "published"})

    # This year's count documents say how many members and pledges each organisation holds (counting them
    # in FerretDB reads them all: minutes at county scale).
    sizes = {c["organisation"]: c for c in database.org_year_count.find({"year": YEAR})}

    def deep(endpoint, field, org_ids):
        """The last page of the organisation (of org_ids, else of all) holding most of these records: ?org=…&page=…"""
        org, rows = max(((o, sizes[o].get(field, 0)) for o in org_ids or sizes if o in sizes), key=lambda item: item[1])
        return f"org={org}&page={max(0, math.ceil(rows / page_size(app, endpoint)) - 1)}"

    half_year_ago = (dt.date.today() - dt.timedelta(days=182)).strftime("%Y-%m")
    m_org, p_org = filter_arg(app, "member", "organisation"), filter_arg(app, "pledge", "organisation")
    year, state = filter_arg(app, "pledge", "year"), filter_arg(app, "pledge", "state")
    search = urllib.parse.quote("独居老人")
    lists = ["organisation", "opinion", "deadline", "template", "supervision", "rectification",
             "leadercomment", "evaluation", "user", "vocabulary", "scheme", "closing"]
    pages = [("首页", "admin", "/admin/", None), ("组织架构", "admin", "/admin/orgtree/", None)]
    pages += [(f"{name} 列表", "admin", f"/admin/{name}/", None) for name in lists]
    pages += [
        ("操作日志 列表", "admin", "/admin/audit/", None),
        ("操作日志 半年前", "admin", f"/admin/audit/?{filter_arg(app, 'audit', 'month')}={half_year_ago}", None),
        ("党员 列表第1页", "admin", "/admin/member/", "/admin/member/"),
        ("党员 列表第5页", "admin", "/admin/member/?page=4", "/admin/member/?page=4"),
        ("党员 深页", "admin", f"/admin/member/?{deep('member', 'members_total', None)}", None),
        ("党员 按组织", "admin", f"/admin/member/?{m_org}={sq01['_id']}", None),
        ("党员 搜索姓名", "admin", f"/admin/member/?search={urllib.parse.quote(member['name'])}", None),
        ("承诺 列表第1页", "admin", "/admin/pledge/", "/admin/pledge/"),
        ("承诺 列表第5页", "admin", "/admin/pledge/?page=4", "/admin/pledge/?page=4"),
        ("承诺 深页", "admin", f"/admin/pledge/?{deep('pledge', 'pledges', None)}", None),
        ("承诺 年度+状态", "admin", f"/admin/pledge/?{year}={YEAR}&{state}=published", None),
        ("承诺 按组织+年度", "admin", f"/admin/pledge/?{p_org}={sq01['_id']}&{year}={YEAR}", None),
        ("承诺 搜索", "admin", f"/admin/pledge/?search={search}", None),
        ("党员 详情", "admin", f"/admin/member/details/?id={member['_id']}", None),
        ("承诺 详情", "admin", f"/admin/pledge/details/?id={pledge['_id']}", None),
        ("承诺 修改页", "admin", f"/admin/pledge/edit/?id={pledge['_id']}", None),
        ("承诺覆盖情况 街道", "admin", f"/admin/pledge/coverage/?organisation={jd01['_id']}&year={YEAR}", None),
        ("承诺书 PDF", "admin", f"/admin/pledge/pdf/?id={published['_id']}", None),
    ]
    for role in ("jd_reviewer", "sq_clerk"):
        ids = street_ids if role == "jd_reviewer" else [sq01["_id"]]
        pages += [
            ("首页", role, "/admin/", None),
            ("党员 列表第1页", role, "/admin/member/", None),
            ("党员 深页", role, f"/admin/member/?{deep('member', 'members_total', ids)}", None),
            ("承诺 列表第1页", role, "/admin/pledge/", None),
            ("承诺 深页", role, f"/admin/pledge/?{deep('pledge', 'pledges', ids)}", None),
            ("承诺 年度+状态", role, f"/admin/pledge/?{year}={YEAR}&{state}=published", None),
            ("承诺 搜索", role, f"/admin/pledge/?search={search}", None),
            ("承诺 详情", role, f"/admin/pledge/details/?id={pledge['_id']}", None),
            ("承诺覆盖情况", role, f"/admin/pledge/coverage/?organisation={ids[0]}&year={YEAR}", None),
        ]
    pages += [
        ("党员 详情", "sq_clerk", f"/admin/member/details/?id={member['_id']}", None),
        ("承诺 修改页", "sq_clerk", f"/admin/pledge/edit/?id={pledge['_id']}", None),
        ("承诺书 PDF", "sq_clerk", f"/admin/pledge/pdf/?id={published['_id']}", None),
        ("公开栏 街道 JD01", "public", f"/board/JD01?year={YEAR}", None),
        ("公开栏 支部 SQ01", "public", f"/board/SQ01?year={YEAR}", None),
    ]
    return pages, published["_id"]


def concurrent(base, path, meter, clients=8, seconds=20):
    """Pages per second served to 8 logged-in browsers asking for the same page for 20 s, and the CPU each page cost
    the app, FerretDB and PostgreSQL (2 cores give 2,000 ms of CPU a second: 20 pages/s leaves 100 ms a page)."""
    browsers = [Client(base, "admin") for _ in range(clients)]
    done, failed, stop = [], [], None

    def run(browser):
        while time.monotonic() < stop:
            elapsed, status, _size = browser.get(path)
            (done if status == 200 and time.monotonic() <= stop else failed).append(elapsed)

    warm = [threading.Thread(target=b.get, args=(path,)) for b in browsers]  # every worker compiles its templates
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()
    threads = [threading.Thread(target=run, args=(b,)) for b in browsers]
    before, load, t0 = meter(), os.getloadavg()[0], time.monotonic()
    stop = t0 + seconds  # run() reads it when the threads start
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall, after, served_pages = time.monotonic() - t0, meter(), len(done) + len(failed)
    cpu = {name: round((after[name] - before[name]) * 1000 / max(served_pages, 1))
           for name in after if after[name] is not None and before[name] is not None}
    return {"clients": clients, "window s": seconds, "pages": len(done), "pages/s": len(done) / seconds,
            "unfinished or failed in window": len(failed), "wall s": round(wall, 1),
            "p50 ms": statistics.median(done) * 1000 if done else None,
            "CPU ms per page": {**cpu, "total": sum(cpu.values())}, "load average before": round(load, 1)}


def letter(app, pledge_id, repeat):
    """One pledge letter through the app's exporter vs bare xhtml2pdf.pisa.CreatePDF on the same HTML."""
    from xhtml2pdf import pisa

    from exporters import archive, pdf, typesetting
    seen = []
    original = pdf.html_to_pdf

    def keep(html):
        seen.append(html)
        return original(html)

    with app.test_request_context(), mock.patch.object(pdf, "html_to_pdf", keep):
        full = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            archive.pledge_pdf(Pledge.objects(pk=pledge_id).first())
            full.append(time.perf_counter() - t0)
    bare = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        pisa.CreatePDF(seen[-1], dest=io.BytesIO(), encoding="utf-8", link_callback=pdf.link_callback,
                       resource_policy=typesetting.POLICY)
        bare.append(time.perf_counter() - t0)
    return {"n": repeat, "letter ms": statistics.median(full) * 1000, "bare CreatePDF ms": statistics.median(bare) * 1000,
            "ratio": statistics.median(full) / statistics.median(bare)}


def archive_year(uri, postgres_url, code, year, work):
    """`flask export archive` of one organisation-year in its own process: seconds, letters, peak memory."""
    target = work / f"archive-{code}.zip"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    result = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "export", "archive", "--org", code,
                             "--year", str(year), "-o", str(target)], cwd=ROOT, capture_output=True, text=True,
                            env={**os.environ, "MONGODB_URI": uri, "PLEDGEDESK_POSTGRES_URL": postgres_url or "",
                                 "SECRET_KEY": "bench"})
    seconds = time.perf_counter() - t0
    if result.returncode:
        return {"org": code, "error": result.stderr[-500:]}
    with zipfile.ZipFile(target) as archive:
        letters = sum(1 for name in archive.namelist() if name.startswith("承诺书/"))
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"org": code, "year": year, "letters": letters, "seconds": round(seconds, 1),
            "s per letter": round(seconds / max(letters, 1), 2),
            "peak RSS MB (largest child so far)": round(max(peak, before) / 1024)}


def roster(uri, postgres_url):
    """Import a 10,000-row roster three times (scripts/bench_roster.py's IMPORTS) vs insert_many of the same members.

    Each import is checked (prepare, in the upload request) and confirmed as the page does: roster.confirm
    starts the import job, which runs `flask job run` in its own process; timed until the job is done.
    """
    from documents import jobs
    from documents.roster import Limits, confirm, prepare
    with mock.patch.object(sys, "argv", sys.argv[:1]):  # bench_roster reads its row count from argv
        from bench_roster import IMPORTS, roster_bytes

    rows = 10_000

    database_uri = uri.rsplit("/", 1)[0] + "/bench_roster"
    client = MongoClient(database_uri)
    client.drop_database("bench_roster")
    config = TestConfig()
    config.MONGODB_URI, config.POSTGRES_URL = database_uri, postgres_url
    app = create_app(config)
    out = {"rows": rows}
    try:
        with app.app_context(), mock.patch.dict(os.environ, {"SECRET_KEY": "bench"}):
            demo.load()
            admin = User.objects(username="admin").first()
            for label, post in IMPORTS:
                data = roster_bytes(rows, post)
                t0 = time.perf_counter()
                batch = prepare(admin, "bench.xlsx", data, Limits(64 * 1024 * 1024, 512 * 1024 * 1024, rows))
                t1 = time.perf_counter()
                job = confirm(batch, admin)
                while not job.finished and time.perf_counter() - t1 < 3 * TIMEOUT:
                    time.sleep(0.2)
                    job = jobs.load(job.id)
                out[label] = {"check s": round(t1 - t0, 1), "job s": round(time.perf_counter() - t1, 1),
                              "total s": round(time.perf_counter() - t0, 1), "job": job.state,
                              "result": job.result}
            documents = list(client.bench_roster.member.find({"name": {"$regex": "^测试"}}))
            for doc in documents:
                doc.pop("_id")
            t0 = time.perf_counter()
            client.bench_roster.bench_insert_many.insert_many(documents)
            out["insert_many s"] = round(time.perf_counter() - t0, 2)
            out["insert_many documents"] = len(documents)
            for label, _post in IMPORTS:
                out[label]["× insert_many"] = round(out[label]["total s"] / max(out["insert_many s"], 1e-6), 1)
                out[label]["job × insert_many"] = round(out[label]["job s"] / max(out["insert_many s"], 1e-6), 1)
    finally:
        client.drop_database("bench_roster")
        client.close()
    return out


# -- report ----------------------------------------------------------------------------------------
def fmt(value, digits=0):
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows):
    lines = [f"{'page':<22} {'role':<12} {'N':>3} {'p50 ms':>9} {'p95 ms':>9} {'floor ms':>9} {'ratio':>6} "
             f"{'stock ms':>9} {'KB':>6}  note"]
    for r in rows:
        note = {"200": "", "timeout": f"timeout ({TIMEOUT} s)"}.get(r["status"], f"HTTP {r['status']}")
        if r.get("writes_skipped"):
            note += f" {r['writes_skipped']} writes not replayed"
        if r.get("commands") is not None:
            note += f" {r['commands']} queries"
        if r.get("first") is not None:
            note += f", first {r['first']:.0f} ms"
        lines.append(f"{r['page']:<22} {r['role']:<12} {r['n']:>3} {fmt(r.get('p50')):>9} {fmt(r.get('p95')):>9} "
                     f"{fmt(r.get('floor')):>9} {fmt(r.get('ratio'), 2):>6} {fmt(r.get('stock')):>9} "
                     f"{r['kb']:>6}  {note.strip()}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=SCALES, default="street")
    parser.add_argument("--uri", help="use this server and database (emptied first) instead of a private one")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (N)")
    parser.add_argument("--budget", type=float, default=60, help="stop repeating a page after this many seconds")
    parser.add_argument("--postgres-url", default=os.environ.get("PLEDGEDESK_POSTGRES_URL"),
                        help="with --uri: the PostgreSQL under that FerretDB, for the project's indexes")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", default="", help="time only pages whose 'page role' matches this regular expression")
    parser.add_argument("--data", type=Path, help="restore this cached build (a var/bench/<scale>-<tree> directory) "
                        "instead of the one of documents/' current tree")
    parser.add_argument("--reuse", action="store_true",
                        help="with --uri: keep a database an earlier run filled from the same cached build")
    parser.add_argument("--workers", type=int, help="gunicorn workers of the app (default: as `make run`)")
    parser.add_argument("--threads", type=int, help="threads per worker (default: as `make run`)")
    parser.add_argument("--skip", default="", help="comma-separated: pages,stock,concurrency,letter,archive,roster")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers and the database on kill too
    skip = set(filter(None, args.skip.split(",")))
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    results = {"scale": args.scale, "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                        text=True).stdout.strip(), "cores": os.cpu_count(),
               "load average at start": os.getloadavg()}
    with contextlib.ExitStack() as stack:
        if args.uri:
            uri, postgres_url = args.uri, args.postgres_url
        else:
            server = stack.enter_context(DATABASE(stack.enter_context(tempfile.TemporaryDirectory(dir=work))))
            uri, postgres_url = server.uri(f"bench_{args.scale}"), server.postgres_url
            results["database"] = f"private {DATABASE.__name__}"
        print(f"# data: {args.scale} scale into {uri}", flush=True)
        config = TestConfig()
        config.MONGODB_URI, config.POSTGRES_URL = uri, postgres_url
        app = create_app(config)
        raw = MongoClient(uri)
        capture_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=work)))
        with app.app_context():
            results["data"] = ensure_data(args.scale, uri, args.data, args.reuse and bool(args.uri))
            db.init_db(app)  # the project's indexes again, as the data were loaded into a dropped database
            print(f"# data ready: {json.dumps(results['data'], ensure_ascii=False)}", flush=True)
            pages, letter_id = plan(app, raw.get_default_database())
        print(f"# {len(pages)} pages planned", flush=True)
        base = stack.enter_context(served("product", uri, postgres_url, work, args.workers, args.threads))
        stock_base = stack.enter_context(served("stock", uri, postgres_url, work))
        if "pages" not in skip:
            browsers = {role: Client(base, None if role == "public" else role)
                        for role in ("admin", "jd_reviewer", "sq_clerk", "public")}
            stock = Client(stock_base)
            rows = []
            print(table([]), flush=True)
            for page, role, path, stock_path in [p for p in pages if re.search(args.only, f"{p[0]} {p[1]}")]:
                try:
                    row = {"page": page, "role": role, **measure(
                        browsers[role], path, args.repeat, args.budget, raw, capture_dir,
                        stock if stock_path and "stock" not in skip else None, stock_path)}
                except Exception as exc:  # noqa: BLE001 - one broken page must not lose the others' figures
                    row = {"page": page, "role": role, "path": path, "n": 0, "status": f"error {exc!r}"[:80], "kb": 0}
                rows.append(row)
                print(table([row]).splitlines()[1], flush=True)
            results["pages"] = rows
        if "letter" not in skip:
            with app.app_context():
                results["letter"] = letter(app, letter_id, args.repeat)
            print(f"# pledge letter: {json.dumps(results['letter'], ensure_ascii=False)}", flush=True)
        if "archive" not in skip:
            results["archive"] = archive_year(uri, postgres_url, "SQ01", YEAR, work)
            print(f"# archive: {json.dumps(results['archive'], ensure_ascii=False)}", flush=True)
        if "concurrency" not in skip:
            results["concurrency"] = concurrent(base, "/admin/pledge/", cpu_meter(base, uri, postgres_url))
            print(f"# 8 clients on the pledge list: {json.dumps(results['concurrency'], ensure_ascii=False)}",
                  flush=True)
        if "roster" not in skip:
            results["roster"] = roster(uri, postgres_url)
            print(f"# roster: {json.dumps(results['roster'], ensure_ascii=False)}", flush=True)
        raw.close()
    if "pages" in results:
        print("\n" + table(results["pages"]))
    results["load average at end"] = os.getloadavg()
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))


if __name__ == "__main__":
    main()
