"""The two apps scripts/bench.py serves with gunicorn: Pledge Desk, and a stock Flask-Admin over the same data.

Both record the database commands of a request that carries an X-Bench-Capture header (a file path), so
the benchmark can replay exactly what a page asked of the database.
"""
import os
import sys
import threading
from pathlib import Path

from bson import json_util
from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

_local = threading.local()


class _Recorder(monitoring.CommandListener):
    """Keep [database, command] of every command sent by the thread serving a captured request, and the id of the
    cursor a command left open after it (so the replay reads as many batches from it as the page did)."""

    def started(self, event):
        log = getattr(_local, "log", None)
        if log is not None:
            log.append([event.database_name, event.command])
            _local.sent[event.request_id] = log[-1]

    def succeeded(self, event):
        entry = getattr(_local, "sent", {}).pop(event.request_id, None)
        cursor = (event.reply or {}).get("cursor") or {}
        if entry is not None and cursor.get("id") and event.command_name != "getMore":
            entry.append(cursor["id"])

    def failed(self, event):
        pass


monitoring.register(_Recorder())


def _capturing(app):
    """Wrap a WSGI app so a request with X-Bench-Capture writes its database commands to that file."""
    def wsgi(environ, start_response):
        target = environ.get("HTTP_X_BENCH_CAPTURE")
        if not target:
            return app(environ, start_response)
        _local.log, _local.sent = [], {}
        try:
            result = app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        finally:
            log, _local.log = _local.log, None
        Path(target).write_text(json_util.dumps(log))
        return [body]
    return wsgi


def product():
    """Pledge Desk as wsgi.py builds it, configured from the environment."""
    from adminapp import create_app
    return _capturing(create_app())


def stock():
    """A plain Flask-Admin ModelView for members and pledges: the free baseline the issue compares with."""
    import mongoengine
    from flask import Flask
    from flask_admin import Admin
    from flask_admin.contrib.mongoengine import ModelView
    from flask_babel import Babel

    from documents import Member, Pledge

    app = Flask(__name__)
    app.config["SECRET_KEY"] = "bench"
    mongoengine.connect(host=os.environ["MONGODB_URI"], uuidRepresentation="standard", tz_aware=False)
    Babel(app)
    admin = Admin(app, name="stock")
    admin.add_view(ModelView(Member, endpoint="member"))
    admin.add_view(ModelView(Pledge, endpoint="pledge"))
    return _capturing(app)
