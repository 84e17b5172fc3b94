"""The private database: PostgreSQL only on a private Unix socket, run unprivileged, and no acknowledged write lost."""
import os
import shutil
import signal
import stat
import tempfile

import psycopg
import pytest
from pymongo import MongoClient

from adminapp.embedded_db import EmbeddedDatabase


@pytest.fixture
def data_dir():
    path = tempfile.mkdtemp(prefix="pledgedesk-embedded-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _uid(pid):
    status = open(f"/proc/{pid}/status").read()
    return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])


def _settings(server):
    with psycopg.connect(server.postgres_url) as conn:
        return dict(conn.execute("SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', "
                                 "'plan_cache_mode', 'fsync', 'synchronous_commit', 'unix_socket_directories')"))


def test_postgres_listens_only_on_a_private_socket_and_not_as_root_wherever_its_folder_is_moved(data_dir):
    with EmbeddedDatabase(data_dir) as server:
        assert _settings(server) == {"listen_addresses": "", "plan_cache_mode": "force_custom_plan", "fsync": "on",
                                     "synchronous_commit": "on", "unix_socket_directories": str(server.socket_dir)}
        assert stat.S_IMODE(server.socket_dir.stat().st_mode) == 0o700
        assert _uid(server.postgres.pid) != 0
        environment = open(f"/proc/{server.ferretdb.pid}/environ", "rb").read().split(b"\0")
        assert f"GOGC={os.environ.get('GOGC', '400')}".encode() in environment  # a third less CPU per page read
        postgres = server.postgres
    assert postgres.poll() is not None, "stop() left PostgreSQL running"
    # A var/ folder copied or moved elsewhere (a new disk, a backup restored) starts with its socket in its new place.
    moved = os.path.join(data_dir, "moved")
    os.mkdir(moved)
    for name in os.listdir(data_dir):
        if name != "moved":
            shutil.move(os.path.join(data_dir, name), moved)
    with EmbeddedDatabase(moved) as server:
        assert _settings(server)["unix_socket_directories"] == str(server.socket_dir)


def test_kill_9_of_everything_loses_no_acknowledged_write(data_dir):
    server = EmbeddedDatabase(data_dir).start()
    try:
        with MongoClient(server.uri("pledgedesk"), serverSelectionTimeoutMS=5000) as client:
            client.pledgedesk.notes.insert_one({"_id": "kept", "text": "已确认的写入"})
        processes = (server.ferretdb, server.postgres)
        for process in processes:  # each server leads its own process group: this kills every backend too
            os.killpg(process.pid, signal.SIGKILL)
        for process in processes:
            process.wait()
    finally:
        server.ferretdb = server.postgres = None  # nothing left to stop
    with EmbeddedDatabase(data_dir) as again, MongoClient(again.uri("pledgedesk")) as client:
        assert client.pledgedesk.notes.find_one({"_id": "kept"})["text"] == "已确认的写入"


def test_a_start_takes_over_from_servers_whose_starter_was_killed(data_dir):
    orphaned = EmbeddedDatabase(data_dir).start()  # not stopped by its starter, as when `make run` is killed with -9
    try:
        with MongoClient(orphaned.uri("pledgedesk")) as client:
            client.pledgedesk.notes.insert_one({"_id": "before"})
        with EmbeddedDatabase(data_dir) as again, MongoClient(again.uri("pledgedesk")) as client:
            assert orphaned.postgres.wait(timeout=30) is not None and orphaned.ferretdb.wait(timeout=30) is not None
            assert client.pledgedesk.notes.find_one({"_id": "before"}) == {"_id": "before"}
    finally:
        orphaned.stop()  # only if the takeover failed: leave nothing running
