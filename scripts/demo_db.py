"""A throw-away private database with the demo data, for the small benchmark scripts."""
import contextlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adminapp import create_app  # noqa: E402
from adminapp.config import TestConfig  # noqa: E402
from adminapp.embedded_db import EmbeddedDatabase  # noqa: E402
from seed import demo  # noqa: E402


@contextlib.contextmanager
def demo_app():
    """Start a private database, load the demo into it and yield the app inside its app context."""
    with tempfile.TemporaryDirectory() as tmp, EmbeddedDatabase(tmp) as server:
        config = TestConfig()
        config.MONGODB_URI, config.POSTGRES_URL = server.uri("bench"), server.postgres_url
        app = create_app(config)
        with app.app_context():
            demo.load()
            yield app
