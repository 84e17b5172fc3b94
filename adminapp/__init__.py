"""Pledge Desk: the application factory."""
from flask import Flask
from jinja2 import BytecodeCache

import exporters
from adminapp import auth, cli, db, i18n, public, security
from adminapp.config import Config
from adminapp.views import init_admin


class _CompiledTemplates(BytecodeCache):
    """Keep templates compiled once per process for every app it builds (tests build hundreds)."""

    def __init__(self):
        self._code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket):
        self._code[bucket.key] = bucket.bytecode_to_string()


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
