"""The database connection: any MongoDB-protocol server named by MONGODB_URI."""
import mongoengine
from mongoengine.connection import get_db

from documents.store import claims


def init_db(app):
    mongoengine.disconnect_all()
    mongoengine.connect(host=app.config["MONGODB_URI"], uuidRepresentation="standard",
                        serverSelectionTimeoutMS=app.config.get("MONGODB_TIMEOUT_MS", 3000), tz_aware=False)
    repaired = []

    @app.before_request
    def repair_once():
        """On a process's first request, finish or release the changes a previous process left half done."""
        if not repaired:
            repaired.append(True)
            claims.repair()


def ping():
    """True when the database answers a ping."""
    try:
        get_db().client.admin.command("ping")
        return True
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False
