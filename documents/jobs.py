"""Long work (a roster import, a year's archive) as a job: a document with state and progress, run in its own process.

A job's `_id` is derived from what it works on (the import batch, the archive request), so a second
click, a reload or a second clerk finds the existing job instead of starting another: inserting a
duplicate `_id` is refused atomically on every backend, where filtered updates are not on FerretDB.
The work runs in a separate `flask job run` process, never in the web request. Every job's work is
written so that each step can be safely redone; a job whose process died (no heartbeat for
`STALL_SECONDS`) is started again by the next person who looks at it, and only one of them wins,
again by inserting a duplicate-free `_id`.
"""
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from mongoengine import DateTimeField, DictField, Document, IntField, ObjectIdField, StringField
from mongoengine.connection import get_db
from pymongo.errors import DuplicateKeyError

from documents.base import now

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATE_TITLES = {QUEUED: "排队中", RUNNING: "进行中", DONE: "已完成", FAILED: "失败"}
# What each kind of job is called on its page and in the list of one's jobs; "files" jobs carry their own title.
KIND_TITLES = {"import": _l("导入花名册"), "check": _l("检查花名册"), "cards": _l("承诺卡"), "archive": _l("年度归档包"),
               "rollover": _l("年度结转"), "rollover_preview": _l("年度结转预览")}
STALL_SECONDS = 60
PROJECT_DIR = Path(__file__).resolve().parent.parent
# kind -> function(job) doing the work; registered by the modules that own each kind of work.
HANDLERS = {}


class Job(Document):
    id = StringField(primary_key=True)
    kind = StringField(required=True)
    state = StringField(default=QUEUED, choices=tuple(STATE_TITLES))
    done = IntField(default=0)
    total = IntField(default=0)
    message = StringField(default="")
    result = DictField()
    params = DictField()
    owner = ObjectIdField()
    organisation = ObjectIdField()
    attempt = IntField(default=1)
    created_at = DateTimeField(default=now)
    heartbeat = DateTimeField(default=now)
    finished_at = DateTimeField()

    meta = {"collection": "job"}

    def __str__(self):
        return f"{self.kind} {self.id}（{STATE_TITLES[self.state]}）"

    @property
    def state_title(self):
        return STATE_TITLES[self.state]

    @property
    def title(self):
        return self.params.get("title") if self.kind == "files" else KIND_TITLES.get(self.kind, self.kind)

    @property
    def finished(self):
        return self.state in (DONE, FAILED)

    @property
    def stalled(self):
        return not self.finished and self.heartbeat < now() - dt.timedelta(seconds=STALL_SECONDS)

    def as_json(self):
        """What the progress page polls."""
        return {"id": self.id, "kind": self.kind, "state": self.state, "state_title": self.state_title,
                "done": self.done, "total": self.total, "message": self.message, "result": self.result,
                "finished": self.finished}


def load(job_id):
    """The job with this id, read by `_id` only (no sort, so FerretDB can push it down)."""
    son = Job._get_collection().find_one({"_id": job_id})
    return Job._from_son(son) if son else None


def start(job_id, kind, owner, organisation, params=None, total=0):
    """Create the job and launch its process, or return the job that already has this id (resumed if it died)."""
    job = Job(id=job_id, kind=kind, owner=owner, organisation=organisation, params=params or {}, total=total)
    existing = _insert(job)
    if existing is not None:
        return resume_if_stalled(existing)
    launch(job_id, 1)
    return job


def settle(job_id, kind, owner, organisation, message, result):
    """Record work that will never run (a cancelled import), unless a job with this id exists; return that job."""
    return _insert(Job(id=job_id, kind=kind, owner=owner, organisation=organisation, state=DONE, message=message,
                       result=result, finished_at=now()))


def _insert(job):
    """Insert a new job; None on success, else the job already stored under that id (the insert is the claim)."""
    try:
        Job._get_collection().insert_one(job.to_mongo().to_dict())
    except DuplicateKeyError:
        return load(job.id)
    return None


def resume_if_stalled(job):
    """Relaunch a job whose process stopped reporting; of several callers exactly one relaunches it."""
    if job is None or not job.stalled:
        return job
    attempt = job.attempt + 1
    try:
        get_db()["job_attempt"].insert_one({"_id": f"{job.id}#{attempt}", "at": now()})
    except DuplicateKeyError:
        return job
    Job._get_collection().update_one({"_id": job.id}, {"$set": {"attempt": attempt, "heartbeat": now(),
                                                                "message": "上次处理中断，正在继续"}})
    launch(job.id, attempt)
    return load(job.id)


def launch(job_id, attempt):
    """Run `flask job run` in a new process detached from this request (and from a gunicorn worker's life), on this
    app's database settings rather than whatever the environment holds: an app that does not own its PostgreSQL
    (MONGODB_URI elsewhere, the tests' apps) starts jobs that do not make tables and indexes there either."""
    env = {**os.environ, "MONGODB_URI": current_app.config["MONGODB_URI"]}
    env.pop("PLEDGEDESK_POSTGRES_URL", None)
    if current_app.config.get("POSTGRES_URL"):
        env["PLEDGEDESK_POSTGRES_URL"] = current_app.config["POSTGRES_URL"]
    log_dir = Path(current_app.config["JOB_DIR"])
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "jobs.log", "ab") as log:
        subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "job", "run", job_id, "--attempt", str(attempt)],
                         cwd=PROJECT_DIR, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                         start_new_session=True)


class Superseded(Exception):
    """Another process took this job over after this one was thought dead."""


class Reporter:
    """Progress of one attempt at a job: counts, message and heartbeat, written to the job document."""

    def __init__(self, job, attempt):
        self.job, self.attempt = job, attempt

    def __call__(self, done=None, total=None, message=None):
        fields = {"heartbeat": now(), "state": RUNNING}
        if done is not None:
            fields["done"] = self.job.done = done
        if total is not None:
            fields["total"] = self.job.total = total
        if message is not None:
            fields["message"] = self.job.message = message
        stored = Job._get_collection().find_one({"_id": self.job.id}, {"attempt": 1})
        if stored is None or stored.get("attempt", 1) != self.attempt:
            raise Superseded(self.job.id)
        Job._get_collection().update_one({"_id": self.job.id}, {"$set": fields})


def run(job_id, attempt=1):
    """Do the work of one job in this process; record its result or its failure."""
    job = load(job_id)
    if job is None or job.finished:
        return job
    report = Reporter(job, attempt)
    try:
        report(message="开始处理")
        result = HANDLERS[job.kind](job, report)
    except Superseded:
        return load(job_id)
    except Exception as exc:  # noqa: BLE001 - any failure is shown on the job's page
        current_app.logger.exception("job %s failed", job_id)
        _finish(job_id, FAILED, str(exc) or type(exc).__name__, {})
        raise
    _finish(job_id, DONE, "已完成", result or {})
    return load(job_id)


def _finish(job_id, state, message, result):
    Job._get_collection().update_one({"_id": job_id}, {"$set": {
        "state": state, "message": message, "result": result, "finished_at": now(), "heartbeat": now()}})
