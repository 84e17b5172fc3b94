"""Pledge Desk: the application factory."""
from flask import Flask

import exporters
from adminapp import auth, cli, db, i18n, public, security
from adminapp.config import Config
from adminapp.views import init_admin


def create_app(config=None):
    """Build the app from a Config (or a dict of overrides on top of it)."""
    app = Flask(__name__)
    if config is None or isinstance(config, dict):
        app.config.from_object(Config())
        app.config.update(config or {})
    else:
        app.config.from_object(config)

    db.init_db(app)
    i18n.init_babel(app)
    auth.init_auth(app)
    admin = init_admin(app)
    public.init_public(app)
    exporters.init_app(app)
    cli.init_cli(app)
    security.init_security(app, admin)
    return app
