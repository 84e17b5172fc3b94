"""Pledge Desk: the application factory."""
import contextlib

from flask import Flask
from jinja2 import BytecodeCache, FileSystemBytecodeCache

import exporters
from adminapp import auth, cli, db, i18n, public, security
from adminapp.config import Config
from adminapp.views import init_admin


class _CompiledTemplates(BytecodeCache):
    """Keep templates compiled once per process for every app it builds (tests build hundreds), and on disk for the
    next process: each gunicorn worker compiled every template it rendered first (county, load 15: a worker's first
    organisation list 3.7 s against 0.3 s after, most of it compiling ten templates)."""

    def __init__(self):
        self._code = {}
        try:  # Jinja's own per-user directory, private to this account (it refuses one others could write)
            self._disk = FileSystemBytecodeCache()
        except (OSError, RuntimeError):
            self._disk = None

    def load_bytecode(self, bucket):
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])
        elif self._disk is not None:
            with contextlib.suppress(OSError):
                self._disk.load_bytecode(bucket)
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()
        if self._disk is not None:
            with contextlib.suppress(OSError):
                self._disk.dump_bytecode(bucket)


# Safe to share: Jinja checks a compiled template against its source, and create_app configures every environment alike.
_COMPILED_TEMPLATES = _CompiledTemplates()


def create_app(config=None):
    """Build the app from a Config (or a dict of overrides on top of it)."""
    app = Flask(__name__)
    if config is None or isinstance(config, dict):
        app.config.from_object(Config())
        app.config.update(config or {})
    else:
        app.config.from_object(config)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _COMPILED_TEMPLATES}

    db.init_db(app)
    i18n.init_babel(app)
    auth.init_auth(app)
    admin = init_admin(app)
    public.init_public(app)
    exporters.init_app(app)
    cli.init_cli(app)
    security.init_security(app, admin)
    return app
