"""督诺: quarterly rounds, the rectification ledger closed item by item, leadership comments."""
import datetime as dt

from documents import AuditEntry, Pledge
from documents.supervision import LeaderComment, Rectification, SupervisionRound
from tests.clock import TODAY, YEAR
from tests.factories import org


def round_form(sq, pledge, **note):
    """A round for this quarter, held today."""
    return {"organisation": str(sq.pk), "year": str(YEAR), "quarter": str((TODAY.month - 1) // 3 + 1),
            "held_on": TODAY.isoformat(),
            "summary": "本季度践诺总体良好", "notes-0-pledge": str(pledge.pk), "notes-0-comment": "进度滞后",
            **{f"notes-0-{k}": v for k, v in note.items()}}


def test_round_with_criticism_opens_a_ledger_line_that_is_closed_once(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
        pledge = Pledge.objects(organisation=sq, state="published").first()
    clerk = login_as("sq_clerk")
    home = clerk.get("/admin/").get_data(as_text=True)
    assert "本季度尚未开展督诺" in home and "幸福里社区党支部" in home
    deadline = (TODAY + dt.timedelta(days=20)).isoformat()
    response = clerk.post("/admin/supervision/new/", round_form(sq, pledge, criticised="y", problem="楼道清理未按期完成",
                          rectify_by=deadline, highlight="主动为独居老人买菜"), token_from="/admin/supervision/new/")
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with seeded.app_context():
        line = Rectification.objects(organisation=sq).first()
        assert line.problem == "楼道清理未按期完成" and line.closed_on is None
        assert SupervisionRound.objects(organisation=sq).first().notes[0].highlight == "主动为独居老人买菜"
    assert "本季度尚未开展督诺" not in clerk.get("/admin/").get_data(as_text=True)
    clerk.post("/admin/rectification/action/", {"action": "close", "rowid": [str(line.pk)], "url": "/admin/rectification/"},
               token_from="/admin/rectification/")
    with seeded.app_context():
        line.reload()
        assert line.closed_on and line.closed_by.startswith("周婷")
        assert [e.action for e in AuditEntry.objects(record_id=line.pk).order_by("at")] == ["列入整改台账", "挂牌销号"]
    clerk.post("/admin/rectification/action/", {"action": "close", "rowid": [str(line.pk)], "url": "/admin/rectification/"},
               token_from="/admin/rectification/")
    assert "已于" in clerk.get("/admin/rectification/").get_data(as_text=True)


def test_criticism_needs_a_deadline(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
        pledge = Pledge.objects(organisation=sq).first()
    html = login_as("sq_clerk").post("/admin/supervision/new/", round_form(sq, pledge, criticised="y"),
                                     token_from="/admin/supervision/new/").get_data(as_text=True)
    assert "须填写整改期限" in html
    with seeded.app_context():
        assert SupervisionRound.objects.count() == 0


def test_round_cannot_comment_on_another_organisations_pledge(seeded, login_as):
    with seeded.app_context():
        sq, qy_pledge = org("SQ01"), Pledge.objects(organisation=org("QY01")).first()
    clerk = login_as("sq_clerk")
    assert str(qy_pledge.pk) not in clerk.get("/admin/supervision/new/").get_data(as_text=True)
    html = clerk.post("/admin/supervision/new/", round_form(sq, qy_pledge), token_from="/admin/supervision/new/")
    assert "请从列表中选择" in html.get_data(as_text=True)


def test_leader_comment_ledger_is_scoped(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
    reviewer = login_as("admin")
    response = reviewer.post("/admin/leadercomment/new/", {"organisation": str(sq.pk), "commenter": "王建国",
                             "on": TODAY.isoformat(), "method": "现场点评", "content": "楼院服务做得扎实"},
                             token_from="/admin/leadercomment/new/")
    assert response.status_code == 302
    assert "楼院服务做得扎实" in login_as("sq_clerk").get("/admin/leadercomment/").get_data(as_text=True)
    assert "楼院服务做得扎实" not in login_as("qy_clerk").get("/admin/leadercomment/").get_data(as_text=True)
    with seeded.app_context():
        assert LeaderComment.objects.count() == 1
