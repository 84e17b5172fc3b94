"""Publication deadlines, opinions from the public, and closing a year."""
import datetime as dt
import re

import pytest
from mongoengine.errors import ValidationError

from documents import AuditEntry, Pledge, User
from documents.calendar import PublicationDeadline, YearClosing
from documents.cycle import TransitionRefused, transition
from documents.notices import Notice
from documents.opinion import Opinion
from tests.clock import TODAY, YEAR
from tests.factories import org


def board_token(client, code="SQ01"):
    html = client.get(f"/board/{code}?year={YEAR}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def on_board(seeded):
    """A SQ01 pledge published today for seven days."""
    with seeded.app_context():
        pledge = Pledge.objects(organisation=org("SQ01"), state="published", scope="member").first()
        Pledge.objects(pk=pledge.pk).update_one(set__published_on=TODAY, set__publish_days=7)
        return pledge.pk


def test_public_opinion_reaches_the_clerk_not_the_board(seeded, on_board, client, login_as):
    token = board_token(client)
    client.post(f"/board/SQ01/opinion/{on_board}", data={"csrf_token": token, "text": "楼道清理后又堆了杂物",
                                                         "contact": "王阿姨 3号楼"})
    board = client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)
    assert "意见已转给该党组织" in board and "楼道清理后又堆了杂物" not in board
    assert "楼道清理后又堆了杂物" in login_as("sq_clerk").get("/admin/opinion/").get_data(as_text=True)
    assert "楼道清理后又堆了杂物" not in login_as("qy_clerk").get("/admin/opinion/").get_data(as_text=True)
    with seeded.app_context():
        assert AuditEntry.objects(record_id=on_board, action="收到群众意见").count() == 1
        told = {n.user_name for n in Notice.objects if "楼道清理后又堆了杂物" in n.text}
        assert told == {str(User.objects(username=u).first()) for u in ("sq_clerk", "sq_reviewer")}


def test_opinions_are_rate_limited_per_address(seeded, on_board, client):
    token = board_token(client)
    for n in range(4):
        client.post(f"/board/SQ01/opinion/{on_board}", data={"csrf_token": token, "text": f"意见{n}"})
    assert "提交太频繁" in client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)
    with seeded.app_context():
        assert Opinion.objects.count() == 3


def test_opinions_outside_the_publication_window_are_refused(seeded, on_board, client):
    with seeded.app_context():
        Pledge.objects(pk=on_board).update_one(set__published_on=TODAY - dt.timedelta(days=30))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post(f"/board/SQ01/opinion/{on_board}", data={"csrf_token": token, "text": "晚了"})
    assert "不在公示期内" in client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)
    with seeded.app_context():
        assert Opinion.objects.count() == 0 and AuditEntry.objects(record_id=on_board, action="收到群众意见").count() == 0


def test_deadline_of_the_street_applies_to_its_branches_and_shows_as_overdue(seeded, login_as):
    with seeded.app_context():
        PublicationDeadline(organisation=org("JD01"), year=YEAR, deadline=TODAY - dt.timedelta(days=1)).save_checked(None)
    html = login_as("sq_clerk").get("/admin/").get_data(as_text=True)
    assert "临近或超过公示期限" in html and "已逾期" in html


def test_a_closed_year_is_read_only_until_an_administrator_reopens_it_with_a_reason(seeded, login_as):
    admin = login_as("admin")
    with seeded.app_context():
        sq = org("SQ01")
        draft = Pledge.objects(organisation=sq, state="draft", year=YEAR).first()
    assert admin.post("/admin/closing/new/", {"organisation": str(sq.pk), "year": str(YEAR), "note": "年终归档"},
                      token_from="/admin/closing/new/").status_code == 302
    with seeded.app_context():
        closing = YearClosing.objects(organisation=sq).first()
        with pytest.raises(TransitionRefused, match="已归档"):
            transition(User.objects(username="sq_clerk").first(), draft.pk, "submit")
        pledge = Pledge.objects(pk=draft.pk).first()
        with pytest.raises(ValidationError, match="已归档"):
            pledge.save_checked(pledge.version)
    clerk = login_as("sq_clerk")
    assert clerk.get(f"/admin/pledge/details/?id={draft.pk}").status_code == 200, "still viewable"
    assert clerk.get(f"/board/SQ01?year={YEAR}").status_code == 200
    assert clerk.get("/admin/closing/").status_code == 403
    details = f"/admin/closing/details/?id={closing.pk}"
    admin.post(f"/admin/closing/reopen/?id={closing.pk}", {"reason": ""}, token_from=details)
    with seeded.app_context():
        assert YearClosing.objects(pk=closing.pk).first().active
    admin.post(f"/admin/closing/reopen/?id={closing.pk}", {"reason": "补录一份遗漏的承诺"}, token_from=details)
    with seeded.app_context():
        assert not YearClosing.objects(pk=closing.pk).first().active
        transition(User.objects(username="sq_clerk").first(), draft.pk, "submit")
        actions = [e.action for e in AuditEntry.objects(record_id=closing.pk).order_by("at")]
        assert actions == ["新建", "撤销年度归档"]
