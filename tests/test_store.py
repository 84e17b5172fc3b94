"""The store's GIN indexes: made for every declared index, and used for the SQL FerretDB sends."""
import os
import shutil
import tempfile
import time
import uuid
from unittest import mock

import pytest
from bson import ObjectId
from mongoengine.connection import get_db
from pymongo.collection import Collection

from adminapp import create_app
from adminapp import config as app_config
from adminapp.embedded_db import EmbeddedDatabase
from documents import Member, Pledge, search
from documents.pledge import PledgeSearch
from documents.store import indexes


@pytest.fixture(scope="module")
def private_base(mongo_base):
    """(server URI, POSTGRES_URL) of a FerretDB on our PostgreSQL: the session's, or one of our own under MONGODB_URI."""
    if os.environ.get("PLEDGEDESK_POSTGRES_URL"):
        yield mongo_base, os.environ["PLEDGEDESK_POSTGRES_URL"]
        return
    data_dir = tempfile.mkdtemp(prefix="pledgedesk-store-")
    try:
        with EmbeddedDatabase(data_dir) as server:
            yield f"mongodb://127.0.0.1:{server.port}", server.postgres_url
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def store_app(private_base):
    base, postgres_url = private_base
    name = f"pd_store_{uuid.uuid4().hex[:12]}"
    config = app_config.TestConfig()
    config.MONGODB_URI, config.POSTGRES_URL = f"{base}/{name}", postgres_url
    app = create_app(config)
    with app.app_context():
        yield get_db(), postgres_url
        get_db().client.drop_database(name)


def test_every_declared_index_has_a_gin_index_from_start_up(store_app):
    database, postgres_url = store_app
    wanted = indexes.declared_fields()
    assert {"organisation", "member", "year", "state"} <= set(wanted["pledge"])
    assert "_id" in wanted["audit"] and "record_id" in wanted["audit"]
    assert indexes.missing(database, postgres_url) == []
    assert indexes.ensure(database, postgres_url) == 0


def test_a_new_process_skips_making_the_indexes_a_collection_already_has(store_app, private_base):
    """A gunicorn worker's first page sent one createIndexes per declared index of every collection it read (48, 3.4 s
    for a pledge's details on the loaded county data); a collection missing one still gets it."""
    database, postgres_url = store_app
    Pledge.ensure_indexes()
    Member.ensure_indexes()
    database.member.drop_index("organisation_1")
    made, create_index = [], Collection.create_index

    def spy(collection, keys, **kwargs):
        made.append(collection.name)
        return create_index(collection, keys, **kwargs)

    config = app_config.TestConfig()
    config.MONGODB_URI, config.POSTGRES_URL = f"{private_base[0]}/{database.name}", postgres_url
    with mock.patch.object(Collection, "create_index", spy), create_app(config).app_context():
        assert Pledge.objects(pk=ObjectId()).first() is None and Member.objects(pk=ObjectId()).first() is None
        assert "organisation_1" in {index["name"] for index in get_db().member.list_indexes()}
    assert "pledge" not in made and "member" in made


def test_a_dropped_collection_gets_its_indexes_again(store_app):
    database, postgres_url = store_app
    database.drop_collection("member")
    assert ("member", "organisation") in indexes.missing(database, postgres_url)
    assert indexes.ensure(database, postgres_url) == len(indexes.declared_fields()["member"])
    assert indexes.missing(database, postgres_url) == []


def test_ferretdb_equalities_use_the_gin_index(store_app):
    database, postgres_url = store_app
    branches = [ObjectId() for _ in range(40)]
    members = Member._get_collection()
    members.insert_many([{"name": f"党员{i}", "id_number": f"{i:018d}", "organisation": branches[i % 40]}
                         for i in range(4000)])
    plan = indexes.explain_equality(database, postgres_url, "member", "organisation", branches[7])
    assert "Index Scan" in plan and "organisation_gin" in plan, plan
    member_id = members.find_one({"name": "党员123"})["_id"]
    plan = indexes.explain_equality(database, postgres_url, "member", "_id", member_id)
    assert "Index Scan" in plan and "_id_gin" in plan, plan

    # The real thing: a pymongo find goes through FerretDB to PostgreSQL, which counts the use of the index.
    before = indexes.index_scans(database, postgres_url, "member", "organisation")
    started = time.perf_counter()
    assert members.count_documents({"organisation": branches[7]}) == 100
    assert len(list(members.find({"organisation": branches[7]}))) == 100
    elapsed = time.perf_counter() - started
    deadline = time.monotonic() + 20
    while indexes.index_scans(database, postgres_url, "member", "organisation") < before + 2:
        assert time.monotonic() < deadline, "FerretDB's query did not use the GIN index"
        time.sleep(0.5)
        members.find_one({"_id": member_id})  # PostgreSQL publishes a busy connection's counts within a second (idle: ten)
    assert elapsed < 2, f"an indexed find of 100 of 4,000 members took {elapsed:.2f}s"


def test_a_search_key_equality_uses_the_gin_index_of_the_array(store_app):
    database, postgres_url = store_app
    entries = PledgeSearch._get_collection()
    entries.insert_many([{"search_text": f"第{i}号承诺", "keys": search.text_keys((f"党员{i}",), (f"第{i}号承诺",))}
                         for i in range(4000)])
    plan = indexes.explain_equality(database, postgres_url, "pledge_search", "keys", "承诺")
    assert "Index Scan" in plan and "keys_gin" in plan, plan
    before = indexes.index_scans(database, postgres_url, "pledge_search", "keys")
    found = entries.find({"keys": "7号", "$or": [{"search_text": {"$regex": "17号", "$options": "i"}}]})
    assert len(list(found)) == 40  # 第17号, 第117号 … 第3917号
    deadline = time.monotonic() + 20
    while indexes.index_scans(database, postgres_url, "pledge_search", "keys") <= before:
        assert time.monotonic() < deadline, "FerretDB's search did not use the GIN index of the keys"
        time.sleep(0.5)
        entries.find_one({"_id": 0})  # PostgreSQL publishes a busy connection's counts within a second (idle: ten)
