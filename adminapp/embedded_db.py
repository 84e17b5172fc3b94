"""Run the private database for `make run` and the tests: PostgreSQL 15 on a Unix socket, FerretDB on loopback."""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psycopg

from adminapp.config import PROJECT_DIR

FERRETDB = PROJECT_DIR / ".tools" / "bin" / "ferretdb"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# initdb and postgres refuse to run as root: when we are root the cluster belongs to this system user.
SYSTEM_USER = "pledgedesk"
ROLE = DATABASE = "pledgedesk"
# A Unix socket path may not exceed 107 bytes; ".s.PGSQL.5432" is appended to the directory.
MAX_SOCKET_DIR = 90
# FerretDB's CPU goes largely to its garbage collector with Go's default (100): at 400 a page of pledges costs it
# about 30 % less CPU for some 10 MB more memory (scripts/bench.py, README 性能). GOGC in the environment wins.
FERRETDB_GOGC = "400"
SETTINGS = """
# Pledge Desk: reachable only through the Unix socket in a private directory (given at each start: the folder may move).
listen_addresses = ''
unix_socket_permissions = 0700
# FerretDB sends the field name as a bind parameter; a generic plan could not use the GIN indexes.
plan_cache_mode = force_custom_plan
"""
# For data thrown away at the end (a test session): commits do not wait for the disk. Never for `make run`.
DISPOSABLE = """
fsync = off
synchronous_commit = off
full_page_writes = off
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DatabaseError(RuntimeError):
    """The private database could not be started; the message says why in Chinese."""


def _owner():
    """The uid and gid the cluster runs as: the system user when we are root, else ourselves."""
    if os.geteuid() != 0:
        return os.geteuid(), os.getegid()
    try:
        entry = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise DatabaseError(f"缺少系统用户 {SYSTEM_USER}（PostgreSQL 不能以 root 运行）：请先运行 scripts/bootstrap.sh") from None
    return entry.pw_uid, entry.pw_gid


def _alive(pid, name):
    """True when process `pid` exists and its command line mentions `name`."""
    try:
        return name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


class EmbeddedDatabase:
    """PostgreSQL and FerretDB with all their data in one directory, stopped cleanly on exit."""

    def __init__(self, data_dir, port=None, disposable=False):
        self.data_dir = Path(data_dir).resolve()
        self.disposable = disposable
        self.pgdata = self.data_dir / "pgdata"
        self.socket_dir = self.data_dir / "socket"
        self.state_dir = self.data_dir / "ferretdb"
        self.pid_file = self.data_dir / "ferretdb.pid"
        self.port = port or free_port()
        self.uid, self.gid = _owner()
        self.postgres = self.ferretdb = None

    @property
    def postgres_url(self):
        return f"postgresql://{ROLE}@/{DATABASE}?host={self.socket_dir}"

    def uri(self, database):
        return f"mongodb://127.0.0.1:{self.port}/{database}"

    def start(self, timeout=60):
        if not FERRETDB.exists():
            raise DatabaseError(f"没有找到 FerretDB（{FERRETDB}）：请先运行 scripts/bootstrap.sh")
        if not (PG_BIN / "postgres").exists():
            raise DatabaseError("没有找到 PostgreSQL 15：请先运行 scripts/bootstrap.sh")
        if len(str(self.socket_dir)) > MAX_SOCKET_DIR:
            raise DatabaseError(f"数据目录路径太长（Unix 套接字路径不能超过 107 字节）：{self.data_dir}")
        self._prepare_dirs()
        self._stop_orphans()
        deadline = time.monotonic() + timeout
        try:
            self._start_postgres(deadline)
            self._create_database()
            self._start_ferretdb(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """Stop FerretDB, then PostgreSQL with a fast shutdown (open transactions roll back, data is kept)."""
        if self.ferretdb is not None:
            _terminate(self.ferretdb)
            self.ferretdb = None
            self.pid_file.unlink(missing_ok=True)
        if self.postgres is not None:
            if self.postgres.poll() is None:
                self._as_owner([PG_BIN / "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w", "-s"])
            _terminate(self.postgres)
            self.postgres = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _prepare_dirs(self):
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for path in (self.data_dir, self.socket_dir, self.state_dir):
            path.mkdir(exist_ok=True)
            os.chown(path, self.uid, self.gid)
            path.chmod(0o700)
        if not (self.pgdata / "PG_VERSION").exists():
            self._initdb()

    def _initdb(self):
        shutil.rmtree(self.pgdata, ignore_errors=True)
        with open(self.data_dir / "initdb.log", "wb") as log:
            done = self._as_owner([PG_BIN / "initdb", "-D", self.pgdata, "-U", ROLE, "--auth=trust",
                                   "--encoding=UTF8", "--locale=C.UTF-8"], stdout=log)
        if done.returncode != 0:
            raise DatabaseError(f"PostgreSQL 初始化失败：数据目录 {self.pgdata} 对用户 {self._user()} 不可写或不可访问，"
                                f"详见 {self.data_dir / 'initdb.log'}")
        with open(self.pgdata / "postgresql.conf", "a") as conf:
            conf.write(SETTINGS + (DISPOSABLE if self.disposable else ""))

    def _stop_orphans(self):
        """Stop a FerretDB or PostgreSQL left running by a start that was killed, so this start can own the data."""
        pid = _read_pid(self.pid_file)
        if pid and _alive(pid, "ferretdb"):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        pid = _read_pid(self.pgdata / "postmaster.pid")
        if pid and _alive(pid, "postgres"):
            self._as_owner([PG_BIN / "pg_ctl", "stop", "-D", self.pgdata, "-m", "fast", "-w", "-s"])
        elif pid:
            # The recorded server is gone and its pid may now belong to another process, which postgres would
            # mistake for a running server.
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def _start_postgres(self, deadline):
        log_path = self.data_dir / "postgres.log"
        while True:
            with open(log_path, "ab") as log:
                self.postgres = self._spawn([PG_BIN / "postgres", "-D", self.pgdata, "-k", self.socket_dir], log)
            while self.postgres.poll() is None:
                if self._postgres_ready():
                    return
                if time.monotonic() > deadline:
                    raise DatabaseError(f"PostgreSQL 未能按时启动，详见 {log_path}")
                time.sleep(0.1)
            # After kill -9 the old server's children may still hold shared memory for a moment: try again.
            if time.monotonic() > deadline:
                raise DatabaseError(f"PostgreSQL 启动失败，详见 {log_path}")
            time.sleep(0.5)

    def _postgres_ready(self):
        """True when our postgres (not one still running on this data from before) accepts connections."""
        if _read_pid(self.pgdata / "postmaster.pid") != self.postgres.pid:
            return False
        try:
            with psycopg.connect(f"postgresql://{ROLE}@/postgres?host={self.socket_dir}", connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def _create_database(self):
        with psycopg.connect(f"postgresql://{ROLE}@/postgres?host={self.socket_dir}", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')

    def _start_ferretdb(self, deadline):
        log_path = self.data_dir / "ferretdb.log"
        with open(log_path, "ab") as log:
            self.ferretdb = self._spawn(
                [FERRETDB, "--handler=postgresql", f"--postgresql-url=postgres://{ROLE}@/{DATABASE}?host={self.socket_dir}",
                 f"--listen-addr=127.0.0.1:{self.port}", f"--state-dir={self.state_dir}",
                 "--debug-addr=-", "--telemetry=disable", "--log-level=warn"], log, as_owner=False,
                env={**os.environ, "GOGC": os.environ.get("GOGC", FERRETDB_GOGC)})
        self.pid_file.write_text(str(self.ferretdb.pid))
        while time.monotonic() < deadline:
            if self.ferretdb.poll() is not None:
                raise DatabaseError(f"FerretDB 启动后立即退出，详见 {log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise DatabaseError(f"FerretDB 未能按时启动，详见 {log_path}")

    def _spawn(self, args, log, as_owner=True, env=None):
        """Start a server in its own session, so that Ctrl-C in the terminal reaches only us and we stop it in order."""
        return subprocess.Popen([str(a) for a in args], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env, **(self._owner_kwargs() if as_owner else {}))

    def _as_owner(self, args, **kwargs):
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        return subprocess.run([str(a) for a in args], stdin=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              check=False, **kwargs, **self._owner_kwargs())

    def _owner_kwargs(self):
        if self.uid == os.geteuid():
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "cwd": "/"}

    def _user(self):
        return pwd.getpwuid(self.uid).pw_name


def _read_pid(path):
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _terminate(process, timeout=30):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
