"""The write path: no failed or interrupted save leaves a record uneditable, and no change loses its audit entry."""
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mongoengine import Document
from mongoengine.errors import OperationError, ValidationError

from adminapp import create_app
from adminapp.config import TestConfig as AppTestConfig
from documents import AuditEntry, Member, Pledge, User
from documents.base import StaleRecord
from documents.cycle import transition
from documents.evaluation import EvaluationRound, EvaluationScheme, Score, issue_ballots, members_of
from documents.idcard import check_digit
from tests.factories import make_id_number, make_member, make_org, org

PROJECT = Path(__file__).resolve().parent.parent
LEASE = 5


@pytest.fixture
def app(app):
    """The usual app with a short claim lease, so that waiting out a dead holder takes seconds."""
    app.config["CLAIM_LEASE_SECONDS"] = LEASE
    return app


def member_form(member, **changes):
    return {"name": member.name, "id_number": member.id_number, "organisation": str(member.organisation.pk),
            "status": "在册", "expected_version": member.version, **changes}


def wrong_check_digit(id_number):
    return id_number[:17] + ("0" if check_digit(id_number[:17]) != "0" else "1")


def edit_member(browser, member_id, seeded, **changes):
    with seeded.app_context():
        member = Member.objects(pk=member_id).first()
    edit = f"/admin/member/edit/?id={member_id}"
    return browser.post(edit, member_form(member, **changes), token_from=edit)


def test_a_wrong_check_digit_then_the_right_number_saves_at_once(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        member = make_member(name="校验位", organisation=org("SQ01"))
    page = edit_member(clerk, member.pk, seeded, id_number=wrong_check_digit(member.id_number)).get_data(as_text=True)
    assert "身份证号校验位不正确" in page
    assert edit_member(clerk, member.pk, seeded, post="社区网格员").status_code == 302
    assert edit_member(login_as("admin"), member.pk, seeded, post="楼栋长").status_code == 302
    with seeded.app_context():
        assert Member.objects(pk=member.pk).first().post == "楼栋长"


def test_a_duplicate_id_number_is_shown_next_to_the_field_then_a_normal_save_succeeds(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        first, second = make_member(name="甲", organisation=sq), make_member(name="乙", organisation=sq)
    page = edit_member(clerk, second.pk, seeded, id_number=first.id_number).get_data(as_text=True)
    assert re.search(r'id="id_number".*?该身份证号已登记', page, re.S) and "组织代码已存在" not in page
    assert "已被他人修改" not in page
    assert edit_member(clerk, second.pk, seeded, post="新岗位").status_code == 302
    with seeded.app_context():
        assert Member.objects(pk=second.pk).first().post == "新岗位"


def test_creating_a_member_with_a_taken_id_number_says_so(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        taken = make_member(name="已登记", organisation=org("SQ01"))
        sq = str(org("SQ01").pk)
    page = clerk.post("/admin/member/new/", {"name": "重号", "id_number": taken.id_number, "organisation": sq,
                                             "status": "在册"}, token_from="/admin/member/new/").get_data(as_text=True)
    assert "该身份证号已登记" in page and "组织代码已存在" not in page and 'value="重号"' in page
    with seeded.app_context():
        assert Member.objects(id_number=taken.id_number).count() == 1


def test_a_duplicate_organisation_code_is_shown_then_a_normal_save_succeeds(login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        target = make_org(name="改代码的支部", code="DUPTEST", parent=org("SQ01"))
        form = {"name": target.name, "code": "QY01", "level": target.level, "org_type": target.org_type,
                "parent": str(org("SQ01").pk), "expected_version": target.version}
    edit = f"/admin/organisation/edit/?id={target.pk}"
    page = admin.post(edit, form, token_from=edit).get_data(as_text=True)
    assert re.search(r'id="code".*?组织代码已存在', page, re.S) and "已被他人修改" not in page
    response = admin.post(edit, {**form, "code": "DUPTEST", "secretary": "王书记"}, token_from=edit)
    assert response.status_code == 302
    with seeded.app_context():
        assert org("DUPTEST").secretary == "王书记" and org("QY01").name != target.name


def test_a_write_that_fails_after_the_claim_gives_the_claim_back(seeded, monkeypatch):
    with seeded.app_context():
        member = make_member(name="断线", organisation=org("SQ01"))
        real_save = Document.save

        def lost_connection(self, *args, **kwargs):
            raise OperationError("connection reset by peer")

        monkeypatch.setattr(Document, "save", lost_connection)
        member.post = "第一次"
        with pytest.raises(OperationError):
            member.save_checked(member.version)
        monkeypatch.setattr(Document, "save", real_save)
        fresh = Member.objects(pk=member.pk).first()
        fresh.post = "第二次"
        fresh.save_checked(fresh.version)
        assert Member.objects(pk=member.pk).first().post == "第二次"



def test_a_unique_conflict_reported_by_the_update_itself_is_still_a_message(seeded, monkeypatch):
    """FerretDB reports a unique conflict on update as a generic error: it must still read as the field's message."""
    from documents.store import claims
    with seeded.app_context():
        sq = org("SQ01")
        first, second = make_member(name="先到", organisation=sq), make_member(name="后到", organisation=sq)
        real, calls = claims.find_duplicate, []

        def blind_once(doc):
            calls.append(doc)
            return None if len(calls) == 1 else real(doc)

        monkeypatch.setattr(claims, "find_duplicate", blind_once)
        second.id_number = first.id_number
        with pytest.raises(ValidationError) as caught:
            second.save_checked(second.version)
        assert "该身份证号已登记" in str(caught.value) and len(calls) == 2
        fresh = Member.objects(pk=second.pk).first()
        fresh.post = "照常保存"
        fresh.save_checked(fresh.version)
        assert Member.objects(pk=second.pk).first().post == "照常保存"


# -- a process that dies between two writes ----------------------------------------------------------

CRASH = """
import os, sys
import pymongo.collection
from mongoengine import Document
from mongoengine.queryset import QuerySet
from adminapp import create_app
from adminapp.config import TestConfig
from documents import Member, User
from documents.cycle import transition
from documents.evaluation import EvaluationRound, EvaluationScheme, Score, issue_ballots, members_of

config = TestConfig()
config.MONGODB_URI = sys.argv[1]
app = create_app(config)
where, record = sys.argv[2], sys.argv[3]
die = lambda *a, **k: os._exit(9)
if where == "member-write":
    Document.save = die
elif where == "pledge-write":
    QuerySet.update_one = die
elif where == "pledge-audit":
    real_insert = pymongo.collection.Collection.insert_one
    def insert_one(self, doc, *a, **k):
        if self.name == "audit":
            os._exit(9)
        return real_insert(self, doc, *a, **k)
    pymongo.collection.Collection.insert_one = insert_one
with app.app_context():
    if where.startswith("pledge-"):
        transition(User.objects(username="sq_clerk").first(), record, "submit")
    else:
        member = Member.objects(pk=record).first()
        member.post = "临终前的修改"
        member.save_checked(member.version)
sys.exit(0)
"""


def die_during(app, where, record_id):
    """Run one save in another process that is killed (exit 9, no cleanup) at the given point."""
    done = subprocess.run([sys.executable, "-c", CRASH, app.config["MONGODB_URI"], where, str(record_id)],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr[-2000:]


def save_post(app, member_id, post):
    with app.app_context():
        member = Member.objects(pk=member_id).first()
        member.post = post
        member.save_checked(member.version)


def test_a_process_killed_between_claim_and_write_blocks_the_record_only_for_the_lease(seeded):
    with seeded.app_context():
        member_id = make_member(name="被杀", organisation=org("SQ01")).pk
    die_during(seeded, "member-write", member_id)
    # Whoever meets a claim judges its lease: a long one first (however slow a loaded machine is to get here, the
    # claim is still within it), then a short one, so the record must free itself as soon as the claim is that old.
    seeded.config["CLAIM_LEASE_SECONDS"] = 600
    with pytest.raises(StaleRecord):
        save_post(seeded, member_id, "租约内")
    seeded.config["CLAIM_LEASE_SECONDS"] = 1
    started = time.monotonic()
    while True:
        try:
            save_post(seeded, member_id, "租约后")
            break
        except StaleRecord:
            assert time.monotonic() - started < 1 + 5, "record still locked well after the lease"
            time.sleep(0.3)
    with seeded.app_context():
        member = Member.objects(pk=member_id).first()
        assert member.post == "租约后" and member.version == 2


def test_a_process_killed_between_a_transitions_claim_and_its_update_does_not_freeze_the_pledge(seeded):
    with seeded.app_context():
        pledge = Pledge.objects(organisation=org("SQ01"), state="draft").first()
        pledge_id, clerk = pledge.pk, User.objects(username="sq_clerk").first()
    die_during(seeded, "pledge-write", pledge_id)
    time.sleep(LEASE + 0.5)
    with seeded.app_context():
        assert transition(clerk, pledge_id, "submit").state == "submitted"
        assert AuditEntry.objects(record_id=pledge_id, action="提交审核").count() == 1


def test_a_process_killed_between_a_change_and_its_audit_entry_loses_no_entry(seeded):
    with seeded.app_context():
        pledge_id = Pledge.objects(organisation=org("SQ01"), state="draft").first().pk
    die_during(seeded, "pledge-audit", pledge_id)
    with seeded.app_context():
        assert Pledge.objects(pk=pledge_id).first().state == "submitted"
    restarted = create_app(_config_of(seeded))
    restarted.test_client().get("/healthz")
    with restarted.app_context():
        assert AuditEntry.objects(record_id=pledge_id, action="提交审核").count() == 1
        assert transition(User.objects(username="sq_reviewer").first(), pledge_id, "return",
                          guidance="请写具体").state == "returned"
        actions = [e.action for e in AuditEntry.objects(record_id=pledge_id)]
        assert actions.count("提交审核") == actions.count("退回修改") == 1


def _config_of(app):
    config = AppTestConfig()
    config.MONGODB_URI = app.config["MONGODB_URI"]
    config.CLAIM_LEASE_SECONDS = LEASE
    return config


# -- double submit ------------------------------------------------------------------------------------

def test_a_second_click_on_a_transition_confirm_shows_the_first_outcome(seeded, login_as):
    with seeded.app_context():
        pledge_id = str(Pledge.objects(organisation=org("SQ01"), state="draft").first().pk)
    clerk = login_as("sq_clerk")
    confirm = f"/admin/pledge/act/submit/?ids={pledge_id}"
    page = clerk.get(confirm).get_data(as_text=True)
    nonce = re.search(r'name="nonce" value="([^"]+)"', page)
    form = {"ids": [pledge_id], "nonce": nonce.group(1) if nonce else ""}
    first = clerk.post(confirm, form, token_from=confirm)
    second = clerk.post(confirm, form, token_from="/admin/pledge/")
    assert first.status_code == second.status_code == 302
    shown = clerk.get(second.headers["Location"]).get_data(as_text=True)
    assert "提交审核：成功 1 份" in shown and "未能提交审核" not in shown and "刚被其他人处理过" not in shown
    with seeded.app_context():
        assert AuditEntry.objects(record_id=pledge_id, action="提交审核").count() == 1


def test_a_second_click_on_save_of_a_new_member_creates_one_member(seeded, login_as):
    clerk = login_as("sq_clerk")
    page = clerk.get("/admin/member/new/").get_data(as_text=True)
    nonce = re.search(r'name="nonce"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="nonce"', page)
    with seeded.app_context():
        sq = str(org("SQ01").pk)
    id_number = make_id_number()
    form = {"name": "双击", "id_number": id_number, "organisation": sq, "status": "在册",
            "nonce": (nonce.group(1) or nonce.group(2)) if nonce else ""}
    first = clerk.post("/admin/member/new/", form, token_from="/admin/member/new/")
    second = clerk.post("/admin/member/new/", form, token_from="/admin/member/new/")
    assert first.status_code == second.status_code == 302
    with seeded.app_context():
        assert Member.objects(id_number=id_number).count() == 1
        assert AuditEntry.objects(collection="member", action="新建", after__id_number=id_number).count() == 1


def test_a_second_click_on_a_ballot_shows_the_thanks_and_counts_once(seeded, client):
    with seeded.app_context():
        round_ = EvaluationRound(organisation=org("SQ01"), year=2026, scheme=EvaluationScheme.objects.first())
        round_.save_checked(None)
        token = issue_ballots(User.objects(username="sq_clerk").first(), round_, 1)[0].token
        member = members_of(round_)[0]
    page = client.get(f"/ballot/{token}").get_data(as_text=True)
    vote = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1), f"choice_{member.pk}": "满意"}
    first, second = client.post(f"/ballot/{token}", data=vote), client.post(f"/ballot/{token}", data=vote)
    assert first.status_code == second.status_code == 200
    assert "感谢您的参与" in second.get_data(as_text=True)
    with seeded.app_context():
        assert Score.objects(round=round_.pk, rater_type="public").count() == 1


def test_a_second_click_on_save_scores_enters_them_once(seeded, login_as):
    with seeded.app_context():
        round_ = EvaluationRound(organisation=org("SQ01"), year=2026, scheme=EvaluationScheme.objects.first())
        round_.save_checked(None)
        member = members_of(round_)[0]
    clerk = login_as("sq_clerk")
    details = f"/admin/evaluation/details/?id={round_.pk}"
    nonce = re.search(r'name="nonce" value="([^"]+)"', clerk.get(details).get_data(as_text=True))
    form = {"rater_type": "org", "rater": "支委会", f"score_{member.pk}": "88", "nonce": nonce.group(1) if nonce else ""}
    for _ in range(2):
        clerk.post(f"/admin/evaluation/scores/?id={round_.pk}", form, token_from=details)
    assert "已录入 1 个分数" in clerk.get(details).get_data(as_text=True)
    with seeded.app_context():
        assert Score.objects(round=round_.pk).count() == 1


def test_a_second_click_on_save_of_a_new_pledge_records_one_pledge(seeded, login_as):
    from tests.htmlform import as_multidict, form_data
    with seeded.app_context():
        sq = org("SQ01")
        member = make_member(name="双击承诺", organisation=sq, categories=["无职党员"])
    clerk = login_as("sq_clerk")
    url = f"/admin/pledge/new/?organisation={sq.pk}&member={member.pk}&year=2026"
    pairs = [(k, v) for k, v in form_data(clerk.get(url).get_data(as_text=True)) if not k.startswith("items-")]
    pairs += [("v_louyuan", "5号楼"), ("v_post_duty", "楼院联络员"), ("v_political", "坚决拥护")]
    for i in range(2):
        pairs += [(f"items-{i}-content", "每周走访楼院一次"), (f"items-{i}-owner", "本人"),
                  (f"items-{i}-deadline", "2026-12-31"), (f"items-{i}-expected", "居民满意")]
    pairs = [(k, v) for k, v in pairs if k not in ("v_louyuan", "v_post_duty", "v_political") or v]
    first = clerk.client.post(url, data=as_multidict(pairs))
    second = clerk.client.post(url, data=as_multidict(pairs))
    assert first.status_code == 302, first.get_data(as_text=True)[-1500:]
    assert second.status_code == 302 and second.headers["Location"] == first.headers["Location"]
    with seeded.app_context():
        assert Pledge.objects(member=member.pk, year=2026).count() == 1
        assert AuditEntry.objects(collection="pledge", action="新建承诺", record_id=Pledge.objects(
            member=member.pk).first().pk).count() == 1


def test_an_entry_written_with_its_change_is_found_by_its_organisations_path(seeded):
    """Entries the store appends with a change skip save(); they must still carry org_path, or scoped lists miss them."""
    with seeded.app_context():
        sq = org("SQ01")
        pledge = Pledge.objects(organisation=sq, state="draft").first()
        transition(User.objects(username="sq_clerk").first(), pledge.pk, "submit")
        entries = list(AuditEntry.objects(record_id=pledge.pk, org_path=sq.pk))
        assert "提交审核" in [e.action for e in entries]
        assert len(entries) == AuditEntry.objects(record_id=pledge.pk).count()
        assert all(e.organisation_name == sq.name for e in entries)
