"""Fixtures: one private database server per session (per xdist worker), the demo data seeded once and
copied per test into the worker's seeded database, one frozen clock, logged-in clients."""
import gc
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import time_machine
from pymongo import MongoClient, monitoring
from werkzeug.routing import Rule
from xdist.scheduler import LoadScopeScheduling

from adminapp import create_app
from adminapp.config import TestConfig
from adminapp.embedded_db import EmbeddedDatabase
from seed import demo
from tests import clock

CHILD_CLOCK = Path(__file__).resolve().parent / "child_clock"


_compile_builder = Rule._compile_builder
_builders = {}


def _compiled_builder(rule, append_unknown=True):
    """Werkzeug's URL builder for a rule, compiled once per process: every test's app has the same ~270 rules, and
    compiling their builders was most of create_app's cost. The builder is a pure function of what the key holds."""
    defaults = rule.defaults or {}
    if any(dynamic and data in defaults for dynamic, data in rule._trace):
        return _compile_builder(rule, append_unknown)  # a default baked into the path: rare, left uncached
    key = (rule.rule, tuple(rule._trace), tuple(defaults), append_unknown)
    if key not in _builders:
        _builders[key] = _compile_builder(rule, append_unknown)
    return _builders[key]


Rule._compile_builder = _compiled_builder

# Every test makes an app (tens of thousands of objects) and garbage: at Python's default thresholds the collector
# ran some 3,000 times in 70 tests, and its full collections cost 130 ms each (3-4 s of 26 s of a worker's CPU).
gc.set_threshold(20000, 20, 100)


# Tests that share what a worker computes once (the malformed-input matrix crawls a user's pages once per worker) go
# to one worker as one unit of work, by the start of their id; the biggest units are handed out first.
SAME_WORKER = tuple(f"tests/test_malformed.py::test_no_hostile_value_anywhere_answers_500[{user}-"
                    for user in ("admin", "sq_clerk"))


class _SameWorkerScheduling(LoadScopeScheduling):
    """xdist's per-test load balancing, but for the tests of SAME_WORKER, each group of which is one unit."""

    def _split_scope(self, nodeid):
        return next((prefix for prefix in SAME_WORKER if nodeid.startswith(prefix)), nodeid)


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "load":
        return _SameWorkerScheduling(config, log)
    return None


@pytest.fixture(scope="session")
def mongo_base():
    """A server URI without database: MONGODB_URI if set, else the private database started for this session."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"].rsplit("/", 1)[0]
        return
    # Under /tmp, not pytest's root-only tmp tree, which the database's system user cannot enter. Its POSTGRES_URL
    # goes into the environment for the tests that check the GIN indexes and for the processes tests start.
    data_dir = tempfile.mkdtemp(prefix="pledgedesk-test-")
    try:
        with EmbeddedDatabase(data_dir, disposable=True) as server, pytest.MonkeyPatch.context() as env:
            env.setenv("PLEDGEDESK_POSTGRES_URL", server.postgres_url)
            yield f"mongodb://127.0.0.1:{server.port}"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def mongo_client(mongo_base):
    """One driver connection for copying and dropping test databases."""
    client = MongoClient(mongo_base)
    yield client
    client.close()


@pytest.fixture(scope="session", autouse=True)
def frozen_clock():
    """Run the session, and the processes tests start (tests/child_clock), at clock.NOW: seed data and tests agree."""
    paths = [str(CHILD_CLOCK), str(CHILD_CLOCK.parent.parent), os.environ.get("PYTHONPATH", "")]
    with time_machine.travel(clock.NOW, tick=True), pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
        yield


@pytest.fixture(autouse=True)
def today(request, frozen_clock):
    """Start every test, and processes it starts, at clock.NOW (the clock runs on); a test's monkeypatch.undo() keeps it.

    The session's seeding comes first: begun inside the test's clock it ate the first seeded test's time before
    midnight (a run at 23:59 then saw the next year's pages)."""
    if "seeded" in request.fixturenames:
        request.getfixturevalue("demo_snapshot")
    with time_machine.travel(clock.NOW, tick=True), pytest.MonkeyPatch.context() as env:
        env.setenv("PLEDGEDESK_TEST_CLOCK", "|".join(clock.handover()))
        yield clock.TODAY


def make_app(mongo_base, name):
    """An app on database `name` without the GIN indexes: tests' data is small, and tests/test_store.py checks them."""
    config = TestConfig()
    config.MONGODB_URI, config.POSTGRES_URL = f"{mongo_base}/{name}", None
    return create_app(config)


def unique_name(kind):
    return f"pd_{kind}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def demo_snapshot(mongo_base, mongo_client, frozen_clock):
    """The demo data, loaded once per session, as {collection: (indexes, documents)} for tests to copy."""
    name = unique_name("template")
    with time_machine.travel(clock.SEEDED, tick=True), make_app(mongo_base, name).app_context():
        demo.load()  # at SEEDED, whichever test first asks for it (its own clock already runs from NOW)
    source = mongo_client[name]
    snapshot = {}
    for collection in source.list_collection_names():
        documents = list(source[collection].find())
        if documents:  # empty ones are left to the app, which makes them with their indexes on first use
            indexes = [i for i in source[collection].list_indexes() if i["name"] != "_id_"]
            snapshot[collection] = (indexes, documents)
    mongo_client.drop_database(name)
    gc.freeze()  # the snapshot lives as long as the session: no full collection need walk its documents again
    return snapshot


class _Writes(monitoring.CommandListener):
    """The collections written in each database since it was last restored, so that a restore redoes only those.

    A read, or the making of the indexes the app declares (every app does it on first use of a collection), changes
    no data; a write names its collection; any other command, and any process started (it has clients of its own,
    unseen here), may have changed anything."""

    READS = {"find", "getMore", "killCursors", "count", "distinct", "listCollections", "listIndexes", "ping", "hello",
             "isMaster", "ismaster", "buildInfo", "endSessions", "dbStats", "collStats", "listDatabases", "explain",
             "saslStart", "saslContinue", "createIndexes"}
    WRITES = {"insert", "update", "delete", "findAndModify", "create", "drop", "dropIndexes", "collMod"}
    PROCESSES = {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.spawn", "os.system"}

    def __init__(self):
        self.written, self.anything = {}, False
        self.sent = Counter()  # commands that may change data, per database; processes started, under None

    def started(self, event):
        name, database = event.command_name, event.database_name
        if name == "aggregate" and not any(("$out" in s or "$merge" in s) for s in event.command.get("pipeline", ())):
            return
        if name in self.READS:
            return
        self.sent[database] += 1
        if name in self.WRITES:
            if database in self.written:
                self.written[database].add(event.command[name])
        elif database in self.written or database == "admin":
            self.anything = True

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def audit(self, event, _args):
        if event in self.PROCESSES:
            self.anything = True
            self.sent[None] += 1

    def take(self, database):
        """The collections of `database` written since its last restore, or None when anything may have changed."""
        written = None if self.anything else self.written.get(database)
        self.written[database], self.anything = set(), False
        return written


_WRITES = _Writes()
# Registered before any client is made: a client only reports to the listeners registered when it was created.
monitoring.register(_WRITES)
sys.addaudithook(_WRITES.audit)


def restore(client, snapshot, target, collections=None):
    """Write the snapshot's collections (all, or those named), indexes first, into `target`, after dropping them there.

    Collections in parallel: it is per test."""
    def one(collection):
        dst = client[target][collection]
        dst.drop()
        if collection not in snapshot:
            return
        indexes, documents = snapshot[collection]
        for index in indexes:
            dst.create_index(list(index["key"].items()), name=index["name"], unique=index.get("unique", False),
                             sparse=index.get("sparse", False))
        dst.insert_many([dict(doc) for doc in documents])
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, snapshot if collections is None else collections))


@pytest.fixture(scope="session")
def seeded_database(mongo_client):
    """[the name of] this worker's copy of the demo data for seeded tests; dropped at the end."""
    current = [None]
    yield current
    if current[0]:
        mongo_client.drop_database(current[0])


@pytest.fixture
def database(request, mongo_client):
    """This test's database: for a seeded test the worker's copy of the snapshot, restored where the tests before it
    wrote (sharing it saves making and dropping a database per test); else a fresh one, dropped after the test."""
    if "seeded" not in request.fixturenames:
        name = unique_name("test")
        yield name
        mongo_client.drop_database(name)
        return
    current, snapshot = request.getfixturevalue("seeded_database"), request.getfixturevalue("demo_snapshot")
    written = _WRITES.take(current[0])
    if written is None:  # a whole new copy, under a new name: a process an earlier test started may still write
        if current[0]:
            mongo_client.drop_database(current[0])
        current[0] = unique_name("seeded")
    restore(mongo_client, snapshot, current[0], written)
    _WRITES.take(current[0])  # the restore's own writes
    yield current[0]


@pytest.fixture
def may_have_written(database):
    """How many commands that may change data this test's database has been sent, counting any process started: a
    test that compares whole databases dumps again only when this has moved."""
    return lambda: _WRITES.sent[database] + _WRITES.sent[None]


@pytest.fixture
def app(mongo_base, database):
    """An app on this test's database."""
    return make_app(mongo_base, database)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    """The app with the demo data: a copy of the session's seeded snapshot."""
    return app


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html):
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1) or match.group(2)


class Browser:
    """A test client that logs in through the form and sends the page's CSRF token with each POST."""

    def __init__(self, client):
        self.client = client

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def token(self, url="/login"):
        return csrf_from(self.client.get(url).get_data(as_text=True))

    def post(self, url, data=None, token_from=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token(token_from or url))
        return self.client.post(url, data=data, **kw)

    def login(self, username, password=demo.DEMO_PASSWORD):
        return self.post("/login", {"username": username, "password": password})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def login_as(seeded):
    """login_as("sq_clerk") gives a Browser logged in as that demo account."""
    def make(username):
        b = Browser(seeded.test_client())
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return b
    return make
