"""`make run`: start the private database unless MONGODB_URI is set, load the demo into an empty one, serve with gunicorn."""
import gc
import json
import logging.config
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from adminapp.config import PROJECT_DIR, RUN_FILE, VAR_DIR

THREADS = 4
# The console a clerk watches shows our Chinese lines and real errors only: the libraries' warnings (xhtml2pdf's
# notes on CSS, fontTools, pymongo) are English notes for developers. gunicorn reads this setting from this module
# (-c python:adminapp.devserver) for its own loggers and every worker, as it reads post_worker_init; main() applies it
# to this process.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
    "root": {"level": "ERROR", "handlers": ["console"]},
    "loggers": {"gunicorn.error": {"level": "ERROR", "handlers": ["console"], "propagate": False},
                "gunicorn.access": {"level": "ERROR", "handlers": [], "propagate": False}},
}


def post_worker_init(worker):
    """gunicorn calls this in each worker before it serves: print once now, so no first letter waits for the fonts."""
    from exporters import pdf
    pdf.warm_up()
    # What is loaded by now (libraries, app, fonts: ~200,000 objects) lives as long as the worker. Unfrozen, every full
    # garbage collection walked it: 350-460 ms, once in ~30 audit pages at street scale, a page's p95.
    gc.collect()
    gc.freeze()


def load_demo_if_empty(app):
    """Load the demo data into a database with no organisations and no users; return what was loaded, else None."""
    from documents import Organisation, User
    from seed import demo

    with app.app_context():
        if Organisation.objects.order_by().only("id").first() or User.objects.order_by().only("id").first():
            return None
        return demo.load()


def _print_accounts():
    from seed.demo import ACCOUNTS, DEMO_PASSWORD
    print("\n演示账号（首次运行创建；密码均为 %s，登录后可在“系统管理 → 账号”中修改）：" % DEMO_PASSWORD)
    for username, display_name, _role, _org in ACCOUNTS:
        print(f"  {username:<12} {display_name}")


def _stop_on_sigterm(*_):
    """A service manager stops us with SIGTERM: leave through the same `finally` as Ctrl-C does."""
    raise KeyboardInterrupt


def _serve(host, port):
    """Start gunicorn on wsgi:app, with threads in as many workers as there are cores; return its process."""
    workers = os.environ.get("WEB_CONCURRENCY") or str(os.cpu_count() or 2)
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", workers,
         "--worker-class", "gthread", "--threads", str(THREADS), "--graceful-timeout", "10",
         "--config", "python:adminapp.devserver", "wsgi:app"], cwd=PROJECT_DIR)


def _port_taken(host, port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _already_running():
    """The pid of another `make run` that is serving from this var/ directory, or None."""
    try:
        pid = int(json.loads(RUN_FILE.read_text())["pid"])
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if b"adminapp.devserver" in command and pid != os.getpid() else None


def _wait_until_listening(server, host, port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def main():
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    if _port_taken(host, port):
        print(f"端口 {host}:{port} 已被占用：请先停止占用它的程序，或换一个端口，如 PORT=5001 make run", file=sys.stderr)
        return 1
    other = _already_running()
    if other and not os.environ.get("MONGODB_URI"):
        print(f"另一个 make run（进程 {other}）正在使用 {VAR_DIR}：请先停止它。", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    logging.config.dictConfig(logconfig_dict)
    # Served over plain http on this machine; behind HTTPS leave SESSION_COOKIE_SECURE unset (on).
    os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
    database = server = None
    try:
        if not os.environ.get("MONGODB_URI"):
            from adminapp.embedded_db import DatabaseError, EmbeddedDatabase
            try:
                database = EmbeddedDatabase(VAR_DIR / "postgres").start()  # on failure it stops what it started
            except DatabaseError as exc:
                print(exc, file=sys.stderr)
                return 1
            os.environ["MONGODB_URI"] = database.uri("pledgedesk")
            os.environ["PLEDGEDESK_POSTGRES_URL"] = database.postgres_url
            RUN_FILE.write_text(json.dumps({"mongodb_uri": os.environ["MONGODB_URI"],
                                            "postgres_url": database.postgres_url, "pid": os.getpid()}))
            print(f"内置数据库（FerretDB + PostgreSQL 15）已启动：127.0.0.1:{database.port}，数据目录 {database.data_dir}")
        from adminapp import create_app
        report = load_demo_if_empty(create_app())
        if report is not None:
            print("已加载演示数据：" + "，".join(f"{k} {v}" for k, v in report.items()))
            _print_accounts()
        else:
            print("数据库中已有数据，未载入演示数据。演示账号见 README。")
        server = _serve(host, port)
        if _wait_until_listening(server, host, port):
            print(f"\n请在浏览器打开 http://{host}:{port}/login ，按 Ctrl-C 停止。\n")
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait()
        if database is not None:
            database.stop()
            RUN_FILE.unlink(missing_ok=True)
            print("数据库已停止。")


if __name__ == "__main__":
    sys.exit(main())
