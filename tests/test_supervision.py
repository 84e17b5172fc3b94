"""督诺: quarterly rounds, the rectification ledger closed item by item, leadership comments."""
import datetime as dt

from documents import AuditEntry, Member, Pledge
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
        pledge = Pledge.objects(organisation=sq, year=YEAR).first()
    html = login_as("sq_clerk").post("/admin/supervision/new/", round_form(sq, pledge, criticised="y"),
                                     token_from="/admin/supervision/new/").get_data(as_text=True)
    assert "须填写整改期限" in html
    with seeded.app_context():
        assert SupervisionRound.objects.count() == 0


def test_round_cannot_comment_on_another_organisations_pledge(seeded, login_as):
    with seeded.app_context():
        sq, qy_pledge = org("SQ01"), Pledge.objects(organisation=org("QY01"), year=YEAR).first()
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


def test_a_new_round_offers_its_years_pledges_person_by_person_and_lines_close_on_their_page(seeded, login_as):
    from tests.htmlform import as_multidict, form_data
    with seeded.app_context():
        sq = org("SQ01")
        current = [p for p in Pledge.objects(organisation=sq, year=YEAR) if p.state == "published"]
        last_year = Pledge.objects(organisation=sq, year=YEAR - 1).first()
    clerk = login_as("sq_clerk")
    form = {k: v for k, v in round_form(sq, current[0]).items() if not k.startswith("notes-")}
    response = clerk.post("/admin/supervision/new/", form, token_from="/admin/supervision/new/")
    assert "/admin/supervision/edit/" in response.headers["Location"]
    page = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "请逐人点评" in page and len(current) > 1
    assert all(f'value="{p.pk}" selected' in page or f'selected value="{p.pk}"' in page for p in current)
    assert str(last_year.pk) not in page, "last year's pledges are not offered"
    data = as_multidict([(k, v.lstrip("\r\n")) for k, v in form_data(page) if k != "search"])
    note = next(k[:-len("-pledge")] for k, v in data.items(multi=True) if k.endswith("-pledge") and v == str(current[0].pk))
    data[f"{note}-comment"], data[f"{note}-criticised"], data[f"{note}-problem"] = "进度滞后", "y", "台账未更新"
    data[f"{note}-rectify_by"] = (TODAY + dt.timedelta(days=10)).isoformat()
    assert clerk.post(response.headers["Location"], data=data).status_code == 302
    with seeded.app_context():
        round_ = SupervisionRound.objects(organisation=sq).first()
        assert [n.comment for n in round_.notes] == ["进度滞后"], "lines left blank are not comments"
        line = Rectification.objects(round=round_).first()
    details = f"/admin/rectification/details/?id={line.pk}"
    assert "挂牌销号" in clerk.get(details).get_data(as_text=True)
    assert login_as("qy_clerk").post(f"/admin/rectification/close/?id={line.pk}", {"result": "x"},
                                     token_from="/admin/rectification/").status_code == 404
    response = clerk.post(f"/admin/rectification/close/?id={line.pk}", {"result": "台账已补齐"}, token_from=details)
    assert response.status_code == 302
    page = clerk.get(details).get_data(as_text=True)
    assert "台账已补齐" in page and 'action="/admin/rectification/close/' not in page
    with seeded.app_context():
        line.reload()
        assert line.closed_on == TODAY and line.closed_by.startswith("周婷") and line.result == "台账已补齐"
    bad = {**round_form(sq, last_year), "quarter": "1" if form["quarter"] != "1" else "2"}
    assert "请从列表中选择" in clerk.post("/admin/supervision/new/", bad, token_from="/admin/supervision/new/").get_data(as_text=True)


def test_leader_comment_picks_a_member_by_search_within_scope(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
        mine = Member.objects(organisation=sq, status="在册").first()
        theirs = Member.objects(organisation=org("QY01"), status="在册", residential_org=None).first()
    clerk = login_as("sq_clerk")
    page = clerk.get("/admin/leadercomment/new/").get_data(as_text=True)
    assert 'data-role="select2-ajax"' in page and 'data-no-matches="没有找到匹配的记录"' in page

    def lookup(name, query):
        return clerk.get("/admin/leadercomment/ajax/lookup/", query_string={"name": name, "query": query})
    assert lookup("member", mine.id_number[-4:]).get_json() == [[str(mine.pk), mine.picker_label]]
    assert lookup("member", theirs.id_number[-4:]).get_json() == [] and lookup("organisation", "幸").status_code == 404
    form = {"organisation": str(sq.pk), "commenter": "王建国", "on": TODAY.isoformat(), "method": "逐个点评", "content": "好"}
    assert clerk.post("/admin/leadercomment/new/", {**form, "member": str(theirs.pk)},
                      token_from="/admin/leadercomment/new/").status_code == 200
    assert clerk.post("/admin/leadercomment/new/", {**form, "member": str(mine.pk)},
                      token_from="/admin/leadercomment/new/").status_code == 302
    with seeded.app_context():
        assert [c.member_name for c in LeaderComment.objects] == [mine.name]
