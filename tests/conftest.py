"""Fixtures: one private database server per session (per xdist worker), the demo data seeded once and
copied into a fresh database per test, one frozen clock, logged-in clients."""
import os
import re
import shutil
import tempfile
import uuid

import pytest
import time_machine
from pymongo import MongoClient

from adminapp import create_app
from adminapp.config import TestConfig
from adminapp.embedded_db import EmbeddedDatabase
from seed import demo
from tests import clock


@pytest.fixture(scope="session")
def mongo_base():
    """A server URI without database: MONGODB_URI if set, else the private database started for this session."""
    if os.environ.get("MONGODB_URI"):
        yield os.environ["MONGODB_URI"].rsplit("/", 1)[0]
        return
    # Under /tmp, not pytest's root-only tmp tree, which the database's system user cannot enter. Its POSTGRES_URL
    # goes into the environment, so every app made in the tests makes the GIN indexes of its fresh database.
    data_dir = tempfile.mkdtemp(prefix="pledgedesk-test-")
    try:
        with EmbeddedDatabase(data_dir) as server, pytest.MonkeyPatch.context() as env:
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
    """Run the whole session at clock.NOW, so the session's seed data and the tests agree on the year."""
    with time_machine.travel(clock.NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def today(frozen_clock):
    """Start every test at clock.NOW (the clock then runs on); return that day."""
    with time_machine.travel(clock.NOW, tick=True):
        yield clock.TODAY


def make_app(mongo_base, name):
    config = TestConfig()
    config.MONGODB_URI = f"{mongo_base}/{name}"
    return create_app(config)


def unique_name(kind):
    return f"pd_{kind}_{os.environ.get('PYTEST_XDIST_WORKER', 'gw')}_{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def demo_template(mongo_base, mongo_client, frozen_clock):
    """The demo data, loaded once per session into a database that tests copy and never touch."""
    name = unique_name("template")
    with make_app(mongo_base, name).app_context():
        demo.load()
    yield name
    mongo_client.drop_database(name)


def copy_database(client, source, target):
    """Copy every non-empty collection of source, indexes included, into the fresh database target.

    Empty collections are left to the app, which makes them with their indexes on first use.
    """
    for collection in client[source].list_collection_names():
        src, dst = client[source][collection], client[target][collection]
        documents = list(src.find())
        if not documents:
            continue
        present = {index["name"] for index in dst.list_indexes()}
        for index in src.list_indexes():
            if index["name"] not in present:
                dst.create_index(list(index["key"].items()), name=index["name"], unique=index.get("unique", False))
        dst.insert_many(documents)


@pytest.fixture
def app(mongo_base, mongo_client):
    """An app on a fresh, uniquely named database, dropped after the test."""
    name = unique_name("test")
    application = make_app(mongo_base, name)
    yield application
    mongo_client.drop_database(name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app, mongo_client, demo_template):
    """The app with the demo data: a copy of the session's seeded template."""
    copy_database(mongo_client, demo_template, app.config["MONGODB_URI"].rsplit("/", 1)[1])
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
