"""The whole year told by the timeline, as a clerk and a reviewer would work through the admin."""
import re

from documents import AuditEntry, Pledge
from documents.evaluation import EvaluationRound, EvaluationScheme
from tests.clock import YEAR
from tests.factories import make_member, org
from tests.htmlform import as_multidict, form_data

CHECKS = {f"check_{i}": "y" for i in range(5)}


def test_a_pledge_from_entry_to_evaluation(seeded, login_as, client):
    with seeded.app_context():
        sq = org("SQ01")
        member = make_member(name="全程党员", organisation=sq)
    clerk, reviewer = login_as("sq_clerk"), login_as("sq_reviewer")

    url = f"/admin/pledge/new/?organisation={sq.pk}&member={member.pk}&year={YEAR}"
    pairs = [(k, v) for k, v in form_data(clerk.get(url).get_data(as_text=True)) if not k.startswith("items-")]
    pairs = [(k, {"v_louyuan": "9号楼", "v_post_duty": "网格员"}.get(k, v)) for k, v in pairs]
    pairs += [("items-0-content", "帮助9号楼加装电梯"), ("items-0-owner", "本人"), ("items-0-deadline", f"{YEAR}-10-31"),
              ("items-1-content", "每月走访"), ("items-1-owner", "本人"), ("items-1-deadline", f"{YEAR}-12-31")]
    response = clerk.client.post(url, data=as_multidict(pairs))
    assert response.status_code == 302
    pledge_id = re.search(r"id=([0-9a-f]{24})", response.headers["Location"]).group(1)
    details = f"/admin/pledge/details/?id={pledge_id}"

    def act(browser, step, **form):
        return browser.post(f"/admin/pledge/act/{step}/", {"ids": pledge_id, **form}, token_from=details)

    act(clerk, "submit")
    act(reviewer, "return", guidance="请写明加装电梯的具体节点")
    edit = f"/admin/pledge/edit/?id={pledge_id}"
    pairs = [(k, "协调9号楼加装电梯，10月底前完成立项" if k == "items-0-content" else v)
             for k, v in form_data(clerk.get(edit).get_data(as_text=True)) if k != "search"]
    assert clerk.client.post(edit, data=as_multidict(pairs)).status_code == 302
    act(clerk, "submit")
    review_page = reviewer.get(f"/admin/pledge/act/approve/?ids={pledge_id}").get_data(as_text=True)
    assert "协调9号楼加装电梯，10月底前完成立项" in review_page and "帮助9号楼加装电梯" in review_page
    act(reviewer, "approve", guidance="同意", **CHECKS)
    act(clerk, "sign", signed_on=f"{YEAR}-03-20")
    act(clerk, "publish", published_on=f"{YEAR}-03-25", publish_days="7")
    assert "协调9号楼加装电梯" in client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)
    act(clerk, "start")
    clerk.post(f"/admin/pledge/progress/?id={pledge_id}", {"item": "0", "on": f"{YEAR}-06-01", "status": "进行中",
               "percent": "50", "note": "已完成立项"}, token_from=details, content_type="multipart/form-data")
    clerk.post("/admin/supervision/new/", {"organisation": str(sq.pk), "year": str(YEAR), "quarter": "2",
               "held_on": f"{YEAR}-06-28", "summary": "二季度督诺", "notes-0-pledge": pledge_id,
               "notes-0-comment": "进展顺利", "notes-0-highlight": "带头垫付材料费"}, token_from="/admin/supervision/new/")
    act(clerk, "fulfil")
    with seeded.app_context():
        r = EvaluationRound(organisation=sq, year=YEAR, scheme=EvaluationScheme.objects.first())
        r.save_checked(None)
    clerk.post(f"/admin/evaluation/scores/?id={r.pk}", {"rater_type": "org", f"score_{member.pk}": "93"},
               token_from=f"/admin/evaluation/details/?id={r.pk}")
    act(reviewer, "evaluate")

    page = clerk.get(details).get_data(as_text=True)
    with seeded.app_context():
        assert Pledge.objects(pk=pledge_id).first().state == "evaluated"
        story = [e.action for e in AuditEntry.objects(record_id=pledge_id).order_by("at")]
    assert story == ["新建承诺", "提交审核", "退回修改", "修改承诺", "提交审核", "审核通过", "签订备案", "公示",
                     "开始践诺", "已兑现", "评议完成"]
    for words in ("请写明加装电梯的具体节点", "已完成立项", "退回修改", "的评议", f"{YEAR}年3月20日", "带头垫付材料费"):
        assert words in page
