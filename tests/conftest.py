"""Fixtures: one private database for the session, a fresh database per test, logged-in clients."""
import os
import re
import shutil
import tempfile
import uuid

import pytest
from pymongo import MongoClient

from adminapp import create_app
from adminapp.config import TestConfig
from adminapp.embedded_db import EmbeddedDatabase
from seed import demo


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


@pytest.fixture
def app(mongo_base):
    name = f"pd_test_{uuid.uuid4().hex[:12]}"
    config = TestConfig()
    config.MONGODB_URI = f"{mongo_base}/{name}"
    application = create_app(config)
    yield application
    MongoClient(mongo_base).drop_database(name)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    with app.app_context():
        demo.load()
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
