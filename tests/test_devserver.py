"""`make run`: the demo goes only into an empty database, a restart writes no business data, gunicorn serves."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from adminapp.config import PROJECT_DIR
from adminapp.embedded_db import free_port
from documents import Member, Organisation, Pledge
from documents.template import PledgeTemplate, TemplateField
from documents.template_versions import save_edit
from adminapp.devserver import load_demo_if_empty
from seed import demo
from tests.conftest import csrf_from
from tests.factories import make_member


def test_a_restart_after_real_edits_writes_nothing(seeded):
    with seeded.app_context():
        make_member(name="新来的党员")
        template = PledgeTemplate.objects(name="社区党员公开承诺", current=True).first()
        template.fields.append(TemplateField(key="fuwu_xiangmu", label="志愿服务项目", type="text", required=True))
        save_edit(template, template.version)
        counts = (Pledge.objects.count(), Member.objects.count(), Organisation.objects.count())
    assert load_demo_if_empty(seeded) is None
    with seeded.app_context():
        assert (Pledge.objects.count(), Member.objects.count(), Organisation.objects.count()) == counts
        assert Pledge.objects(member=Member.objects(name="新来的党员").first()).count() == 0


def log_in(base, username, password):
    """Log in through the form as a browser would; return where the login sent us."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with opener.open(f"{base}/login", timeout=30) as page:
        token = csrf_from(page.read().decode())
    form = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    with opener.open(f"{base}/login", form, timeout=30) as answer:
        return answer.geturl()


def test_make_run_loads_the_demo_serves_with_gunicorn_tells_the_cli_and_stops_everything_on_sigterm():
    """The first start fills the empty database with the demo, whose accounts then log in."""
    var = tempfile.mkdtemp(prefix="pledgedesk-run-")
    os.chmod(var, 0o755)  # like a checkout's var/: the database's system user must be able to enter it
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "PLEDGEDESK_POSTGRES_URL")}
    env.update(PLEDGEDESK_VAR=var, PORT=str(port))
    run = subprocess.Popen([sys.executable, "-m", "adminapp.devserver"], cwd=PROJECT_DIR, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert run.poll() is None and time.monotonic() < deadline, run.stdout.read() if run.poll() else "too slow"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert response.headers["Server"].startswith("gunicorn")
                    assert json.load(response)["database"] == "ok"
                    break
            except OSError:
                time.sleep(1)
        assert log_in(f"http://127.0.0.1:{port}", "admin", demo.DEMO_PASSWORD).endswith("/admin/")
        cli = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "create-user", "cli_admin", "--role",
                              "admin"], cwd=PROJECT_DIR, env={**env, "PLEDGEDESK_PASSWORD": "Long-enough1"},
                             capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0 and "已创建账号 cli_admin" in cli.stdout, cli.stdout + cli.stderr
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=120)[0]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        shutil.rmtree(var, ignore_errors=True)
    assert run.returncode == 0
    loaded = re.search(r"已加载演示数据：.*党组织 (\d+)，党员 \d+，账号 (\d+)，.*承诺 (\d+)", output)
    assert loaded and loaded.groups()[:2] == ("6", "5") and int(loaded.group(3)) > 0, output
    assert output.rstrip().endswith("数据库已停止。"), output
    assert "Warning" not in output and "Traceback" not in output, output
    assert not os.path.exists(os.path.join(var, "run.json"))


def test_make_run_on_a_taken_port_says_so_before_starting_anything():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "PORT": str(taken.getsockname()[1])}
        result = subprocess.run([sys.executable, "-m", "adminapp.devserver"], cwd=PROJECT_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == f"端口 127.0.0.1:{env['PORT']} 已被占用：请先停止占用它的程序，或换一个端口，如 PORT=5001 make run"


def test_a_second_make_run_on_the_same_data_refuses_to_start():
    var = tempfile.mkdtemp(prefix="pledgedesk-run-")
    first = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", "adminapp.devserver"])
    try:
        with open(os.path.join(var, "run.json"), "w") as run_file:
            json.dump({"mongodb_uri": "mongodb://127.0.0.1:1/pledgedesk", "postgres_url": "", "pid": first.pid}, run_file)
        env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
        env.update(PLEDGEDESK_VAR=var, PORT=str(free_port()))
        result = subprocess.run([sys.executable, "-m", "adminapp.devserver"], cwd=PROJECT_DIR, env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        first.kill()
        first.wait()
        shutil.rmtree(var, ignore_errors=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == f"另一个 make run（进程 {first.pid}）正在使用 {var}：请先停止它。"


# A gunicorn worker under `make run`'s settings, up to its first request: the settings module, then the worker hook.
WORKER_BOOT = """
import sys
from gunicorn.app.base import Application

class Settings(Application):
    def init(self, parser, opts, args):
        return {}

    def load(self):
        pass

settings = Settings()
settings.load_config_from_module_name_or_filename("python:adminapp.devserver")
before = "reportlab" in sys.modules
settings.cfg.post_worker_init(None)
from reportlab.pdfbase import pdfmetrics
import gc
print(before, sorted({"PDSong", "PDHei"} & set(pdfmetrics.getRegisteredFontNames())), gc.get_freeze_count() > 100000)
"""


def test_make_runs_workers_read_the_fonts_and_freeze_what_they_loaded_before_their_first_request():
    """A worker's first letter waited 1-3 s for the fonts, and a full collection walked all it had loaded (a p95 spike)."""
    result = subprocess.run([sys.executable, "-c", WORKER_BOOT], cwd=PROJECT_DIR, capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip() == "False ['PDHei', 'PDSong'] True", result.stdout + result.stderr
