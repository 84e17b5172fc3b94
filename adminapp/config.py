"""Configuration read from the environment, with a subclass for tests."""
import json
import os
import secrets
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLEDGEDESK_VAR", PROJECT_DIR / "var"))
# Written by a running `make run`: where its private database listens, so the CLI finds it.
RUN_FILE = VAR_DIR / "run.json"


def _env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key():
    """Use SECRET_KEY, else a key kept in var/ so sessions survive a restart."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _running():
    """The addresses a running `make run` wrote down, or {} when none is running here."""
    try:
        return json.loads(RUN_FILE.read_text())
    except (OSError, ValueError):
        return {}


class Config:
    VERSION = "0.1.0"
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # A form left open over lunch must still save: the token lives as long as the session.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "16")) * 1024 * 1024
    ROSTER_MAX_BYTES = int(os.environ.get("ROSTER_MAX_MB", "8")) * 1024 * 1024
    # An .xlsx is a zip: refuse before parsing when it would inflate past this, or has more rows.
    ROSTER_MAX_UNZIPPED = int(os.environ.get("ROSTER_MAX_UNZIPPED_MB", "50")) * 1024 * 1024
    ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", "20000"))
    # Where background jobs keep their output (archive zips) and their log.
    JOB_DIR = os.environ.get("PLEDGEDESK_JOB_DIR", str(VAR_DIR / "jobs"))
    LOGIN_MAX_FAILURES = 5  # per account and address
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # over all accounts
    LOGIN_LOCK_MINUTES = 15
    PASSWORD_HASH_METHOD = "scrypt"
    # A change whose process died between its claim and its write blocks the record this long.
    CLAIM_LEASE_SECONDS = float(os.environ.get("CLAIM_LEASE_SECONDS", "30"))
    FLASK_ADMIN_SWATCH = "cerulean"

    def __init__(self):
        """Read the environment when the app is built, not when this module is imported."""
        self.SECRET_KEY = _secret_key()
        running = {} if os.environ.get("MONGODB_URI") else _running()
        self.MONGODB_URI = os.environ.get("MONGODB_URI") or running.get("mongodb_uri", "mongodb://127.0.0.1:27017/pledgedesk")
        # The private PostgreSQL under FerretDB, for the indexes FerretDB does not make; unset on another server.
        self.POSTGRES_URL = os.environ.get("PLEDGEDESK_POSTGRES_URL") or running.get("postgres_url")
        self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
        # How many reverse proxies in front of the app set X-Forwarded-For; 0 trusts none.
        self.PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))


class TestConfig(Config):
    TESTING = True
    # scrypt costs ~0.1 s per hash and every login checks one; tests need no resistance to cracking.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"

    def __init__(self):
        super().__init__()
        self.SECRET_KEY = "test-secret"
        self.POSTGRES_URL = os.environ.get("PLEDGEDESK_POSTGRES_URL")
        self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = False
