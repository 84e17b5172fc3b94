"""Kill -9 the app in the middle of a burst of saves and transitions over HTTP, restart it, and find nothing broken."""
import http.client
import http.cookiejar
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from documents import AuditEntry, Member, Pledge, User
from documents.pledging import save_pledge
from seed.demo import DEMO_PASSWORD
from tests.clock import YEAR
from tests.factories import make_id_number, make_member, org
from tests.htmlform import form_data

PROJECT = Path(__file__).resolve().parent.parent
LEASE = 2
ROUNDS = 3
WORKERS = 4
ITEMS = [{"content": "每周走访楼院一次", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "居民满意"}] * 2

SERVER = """
import sys
from werkzeug.serving import make_server
from adminapp import create_app
from adminapp.config import TestConfig
config = TestConfig()
config.MONGODB_URI, config.CLAIM_LEASE_SECONDS = sys.argv[1], float(sys.argv[3])
make_server("127.0.0.1", int(sys.argv[2]), create_app(config), threaded=True).serve_forever()
"""


@pytest.fixture
def app(app):
    app.config["CLAIM_LEASE_SECONDS"] = LEASE
    return app


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The app in its own process, on a free port of 127.0.0.1, against the test's database."""

    def __init__(self, uri):
        self.uri, self.port, self.process = uri, free_port(), None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, self.uri, str(self.port), str(LEASE)],
                                        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("the app did not come up")

    def kill(self):
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()


class Client:
    """A logged-in session over real HTTP that posts forms with the page's own hidden fields."""

    def __init__(self, port, username):
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect)
        page = self.get("/login")
        self.post("/login", {"username": username, "password": DEMO_PASSWORD, "csrf_token": _csrf(page)})

    def get(self, path):
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path, pairs):
        data = urllib.parse.urlencode(pairs, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _csrf(html):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def burst(clients, round_, org_id, members, pledges, stop, statuses, errors):
    """Edit members (each form sent twice), submit and return pledges, create members twice by one form."""
    def run(worker, clerk, reviewer):
        n = 0
        try:
            while not stop.is_set():
                n += 1
                member_id = members[(worker + n) % len(members)]
                edit = f"/admin/member/edit/?id={member_id}"
                pairs = [(k, f"岗位{worker}-{n}" if k == "post" else v) for k, v in form_data(clerk.get(edit))
                         if k != "search"]
                for _ in range(2):
                    statuses.append(clerk.post(edit, pairs))
                pledge_id = pledges[(worker + n) % len(pledges)]
                for who, step, extra in ((clerk, "submit", {}), (reviewer, "return", {"guidance": "请再具体些"})):
                    page = who.get(f"/admin/pledge/act/{step}/?ids={pledge_id}")
                    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
                    form = {"ids": pledge_id, "csrf_token": _csrf(page), **extra,
                            "nonce": nonce.group(1) if nonce else ""}
                    statuses.append(who.post(f"/admin/pledge/act/{step}/", form))
                fields = dict(form_data(clerk.get("/admin/member/new/")))
                fields.update(name=f"新人{round_}-{worker}-{n}", id_number=make_id_number(), status="在册",
                              organisation=str(org_id))
                for _ in range(2):
                    statuses.append(clerk.post("/admin/member/new/", list(fields.items())))
        except (OSError, http.client.HTTPException):
            return  # the server was killed under us
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(w, *clients[w])) for w in range(len(clients))]
    for t in threads:
        t.start()
    return threads


def test_killing_the_app_mid_burst_leaves_every_record_editable_and_audited(seeded):
    with seeded.app_context():
        sq = org("SQ01")
        clerk = User.objects(username="sq_clerk").first()
        members = [str(make_member(name=f"压测{i}", organisation=sq).pk) for i in range(4)]
        pledges = []
        for i in range(4):
            member = make_member(name=f"压测承诺{i}", organisation=sq)
            pledges.append(str(save_pledge(clerk, organisation=sq, member=member, year=YEAR, raw_items=ITEMS,
                                           raw_values={"louyuan": "1号楼", "post_duty": "职工", "political": "拥护"}).pk))
        members_before = Member.objects.count()
    server = Server(seeded.config["MONGODB_URI"])
    statuses, errors = [], []
    try:
        for round_ in range(ROUNDS):
            server.start()
            clients = [(Client(server.port, "sq_clerk"), Client(server.port, "sq_reviewer")) for _ in range(WORKERS)]
            stop, started = threading.Event(), len(statuses)
            threads = burst(clients, round_, sq.pk, members, pledges, stop, statuses, errors)
            while len(statuses) < started + 12 and not errors:
                time.sleep(0.1)
            time.sleep(random.uniform(0.5, 2))
            server.kill()
            stop.set()
            for t in threads:
                t.join(60)
        server.start()
        Client(server.port, "sq_clerk").get("/admin/")
        assert not errors and 500 not in statuses
        time.sleep(LEASE + 0.5)
        with seeded.app_context():
            check_every_record(members, pledges, members_before)
        check_editable_over_http(server.port, members)
    finally:
        if server.process and server.process.poll() is None:
            server.kill()


def check_every_record(members, pledges, members_before):
    """Each version step of a record has exactly one audit entry; no member was created twice."""
    for member_id in members:
        member = Member.objects(pk=member_id).first()
        versions = sorted(e.after["version"] for e in AuditEntry.objects(record_id=member.pk, action="修改"))
        assert versions == list(range(2, member.version + 1)), (member.name, member.version, versions)
    for pledge_id in pledges:
        pledge = Pledge.objects(pk=pledge_id).first()
        steps = AuditEntry.objects(record_id=pledge.pk, action__in=["提交审核", "退回修改"]).count()
        assert steps == pledge.version - 1, (pledge_id, pledge.version, steps)
    created = [m for m in Member.objects if m.name.startswith("新人")]
    names = [m.name for m in created]
    assert len(names) == len(set(names)), "a double submit created a member twice"
    assert Member.objects.count() == members_before + len(names)
    for member in created:
        assert AuditEntry.objects(record_id=member.pk, action="新建").count() == 1, member.name
    claims = {e.claim for e in AuditEntry.objects(claim__ne=None)}
    assert len(claims) == AuditEntry.objects(claim__ne=None).count()


def check_editable_over_http(port, members):
    clerk = Client(port, "sq_clerk")
    for member_id in members:
        edit = f"/admin/member/edit/?id={member_id}"
        pairs = [(k, "最后一次修改" if k == "post" else v) for k, v in form_data(clerk.get(edit)) if k != "search"]
        assert clerk.post(edit, pairs) == 302, member_id
