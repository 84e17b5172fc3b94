"""The database connection: any MongoDB-protocol server named by MONGODB_URI, with our indexes when we own it."""
import mongoengine
from mongoengine.connection import get_db

from documents.store import claims, indexes, reading


def init_db(app):
    reading.share_field_copies()
    mongoengine.disconnect_all()
    mongoengine.connect(host=app.config["MONGODB_URI"], uuidRepresentation="standard",
                        serverSelectionTimeoutMS=app.config.get("MONGODB_TIMEOUT_MS", 3000), tz_aware=False)
    # When nothing answers, /healthz and the CLI say so; the next start makes what is missing.
    if app.config.get("POSTGRES_URL") and ping():
        indexes.ensure(get_db(), app.config["POSTGRES_URL"])
    repaired = []

    @app.before_request
    def repair_once():
        """On a process's first request, finish or release the changes a previous process left half done."""
        if not repaired and ping():
            claims.repair()
            repaired.append(True)


def ping():
    """True when the database answers a ping."""
    try:
        get_db().client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False
