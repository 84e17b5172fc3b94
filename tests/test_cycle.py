"""The pledge cycle: allowed and forbidden transitions, concurrency, locking, the board, the audit trail."""
import threading

import pytest

from documents import AuditEntry, Pledge, User
from documents.cycle import TRANSITIONS, TransitionRefused, transition
from documents.pledging import PledgeErrors, save_pledge
from tests.clock import YEAR
from tests.factories import make_member, org

CHECKS = {c: "y" for c in ("体现先进性要求", "以正在干的事情为中心", "体现岗位职责特点", "符合群众意愿", "切实可行")}
ITEMS = [{"content": "每周走访楼院一次", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "居民满意"}] * 2


def user(name):
    return User.objects(username=name).first()


@pytest.fixture
def draft(seeded):
    """A fresh member pledge at 幸福里 community, entered by its clerk."""
    with seeded.app_context():
        sq = org("SQ01")
        member = make_member(name="流程党员", organisation=sq)
        pledge = save_pledge(user("sq_clerk"), organisation=sq, member=member, year=YEAR,
                             raw_values={"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"},
                             raw_items=ITEMS)
        return pledge.pk


def act(app, username, pledge_id, name, **inputs):
    with app.app_context():
        return transition(user(username), pledge_id, name, **inputs)


def test_the_whole_cycle_in_order(seeded, draft):
    act(seeded, "sq_clerk", draft, "submit")
    act(seeded, "sq_reviewer", draft, "approve", checklist=CHECKS, guidance="同意")
    act(seeded, "sq_clerk", draft, "sign")
    act(seeded, "sq_clerk", draft, "publish", publish_days=7)
    act(seeded, "sq_clerk", draft, "start")
    act(seeded, "sq_clerk", draft, "fulfil")
    pledge = act(seeded, "sq_reviewer", draft, "evaluate")
    assert pledge.state == "evaluated" and pledge.filed_with == "城东街道党工委" and pledge.publish_days == 7
    with seeded.app_context():
        actions = [e.action for e in AuditEntry.objects(record_id=draft).order_by("at")]
        assert actions == ["新建承诺", "提交审核", "审核通过", "签订备案", "公示", "开始践诺", "已兑现", "评议完成"]
        entry = AuditEntry.objects(record_id=draft, action="审核通过").first()
        assert entry.before == {"state": "submitted"} and entry.after["state"] == "approved"
        assert entry.actor.startswith("李秀英")


@pytest.mark.parametrize("name", ["approve", "sign", "publish", "start", "fulfil", "evaluate", "reopen"])
def test_actions_from_the_wrong_state_are_refused(seeded, draft, name):
    with pytest.raises(TransitionRefused, match="当前状态为“草稿”"):
        act(seeded, "admin", draft, name, checklist=CHECKS, reason="x")


def test_a_clerk_cannot_review_and_a_reviewer_of_another_branch_cannot_either(seeded, draft):
    act(seeded, "sq_clerk", draft, "submit")
    with pytest.raises(TransitionRefused, match="您不是这份承诺的审核人"):
        act(seeded, "sq_clerk", draft, "approve", checklist=CHECKS)
    with pytest.raises(TransitionRefused, match="您不是这份承诺的审核人"):
        act(seeded, "jd_reviewer", draft, "approve", checklist=CHECKS)


def test_the_street_reviews_branch_pledges_but_not_its_own_entries(seeded):
    with seeded.app_context():
        sq = org("SQ01")
        Pledge.objects(scope="org", organisation=sq, year=YEAR + 1).delete()
        pledge = save_pledge(user("jd_reviewer"), organisation=sq, year=YEAR + 1, raw_values={
            "political": "坚决拥护", "practical_count": "3", "infrastructure": "修路", "vulnerable": "帮扶"},
            raw_items=ITEMS + ITEMS[:1])
    act(seeded, "admin", pledge.pk, "submit")
    with pytest.raises(TransitionRefused, match="不能审核自己录入的承诺"):
        act(seeded, "jd_reviewer", pledge.pk, "approve", checklist=CHECKS)


def test_return_needs_guidance_and_resubmission_shows_changes(seeded, draft, login_as):
    act(seeded, "sq_clerk", draft, "submit")
    with pytest.raises(TransitionRefused, match="退回时必须填写修改意见"):
        act(seeded, "sq_reviewer", draft, "return", checklist=CHECKS, guidance=" ")
    act(seeded, "sq_reviewer", draft, "return", checklist={}, guidance="承诺事项太笼统，请写明走访哪几户")
    with seeded.app_context():
        pledge = Pledge.objects(pk=draft).first()
        save_pledge(user("sq_clerk"), organisation=pledge.organisation, member=pledge.member, year=YEAR,
                    raw_values={"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"},
                    raw_items=[{**ITEMS[0], "content": "每周走访8号楼3户独居老人"}, ITEMS[1]],
                    pledge=pledge, expected_version=pledge.version)
    act(seeded, "sq_clerk", draft, "submit")
    html = login_as("sq_reviewer").get(f"/admin/pledge/act/approve/?ids={draft}").get_data(as_text=True)
    assert "退回后修改了什么" in html and "每周走访8号楼3户独居老人" in html and "每周走访楼院一次" in html


def test_approval_needs_every_checklist_item(seeded, draft):
    act(seeded, "sq_clerk", draft, "submit")
    with pytest.raises(TransitionRefused, match="切实可行"):
        act(seeded, "sq_reviewer", draft, "approve", checklist={**CHECKS, "切实可行": None})


def test_two_concurrent_approvals_exactly_one_wins(seeded, draft):
    act(seeded, "sq_clerk", draft, "submit")
    results, barrier = [], threading.Barrier(2)

    def approve(name):
        with seeded.app_context():
            reviewer = user(name)
            barrier.wait()
            try:
                transition(reviewer, draft, "approve", checklist=CHECKS, guidance=name)
                results.append("ok")
            except TransitionRefused as exc:
                results.append(str(exc))

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("sq_reviewer", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert any("刚被其他人处理过" in r or "当前状态为“已审核”" in r for r in results if r != "ok")
    with seeded.app_context():
        assert len(Pledge.objects(pk=draft).first().reviews) == 1


def test_locked_after_approval_until_reopened_with_a_reason(seeded, draft):
    act(seeded, "sq_clerk", draft, "submit")
    act(seeded, "sq_reviewer", draft, "approve", checklist=CHECKS)
    with seeded.app_context():
        pledge = Pledge.objects(pk=draft).first()
        with pytest.raises(PledgeErrors, match="已锁定"):
            save_pledge(user("sq_clerk"), organisation=pledge.organisation, member=pledge.member, year=YEAR,
                        raw_values={}, raw_items=ITEMS, pledge=pledge, expected_version=pledge.version)
    with pytest.raises(TransitionRefused, match="必须填写原因"):
        act(seeded, "sq_reviewer", draft, "reopen", reason="")
    pledge = act(seeded, "sq_reviewer", draft, "reopen", reason="群众反映第2条不切实际")
    assert pledge.state == "returned" and pledge.reviews[-1].guidance == "群众反映第2条不切实际"


def test_excuse_needs_an_explanation_that_the_board_shows(seeded, draft, client):
    for name, who in (("submit", "sq_clerk"), ("approve", "sq_reviewer"), ("sign", "sq_clerk"),
                      ("publish", "sq_clerk"), ("start", "sq_clerk")):
        act(seeded, who, draft, name, checklist=CHECKS)
    with pytest.raises(TransitionRefused, match="客观原因"):
        act(seeded, "sq_clerk", draft, "excuse", note="")
    act(seeded, "sq_clerk", draft, "excuse", note="8号楼拆迁，住户已搬离")
    assert "8号楼拆迁，住户已搬离" in client.get(f"/board/SQ01?year={YEAR}").get_data(as_text=True)


def test_bulk_action_reports_successes_and_reasons(seeded, login_as):
    with seeded.app_context():
        sq = org("SQ01")
        drafts = [str(p.pk) for p in Pledge.objects(organisation=sq, state="draft")]
        published = str(Pledge.objects(organisation=sq, state="published").first().pk)
    clerk = login_as("sq_clerk")
    response = clerk.post("/admin/pledge/action/", {"action": "submit", "rowid": drafts + [published],
                                                    "url": "/admin/pledge/"}, token_from="/admin/pledge/")
    assert response.status_code == 302 and "/admin/pledge/act/submit/" in response.headers["Location"]
    page = clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert "当前状态为“已公示”，不能提交审核" in page
    response = clerk.post("/admin/pledge/act/submit/", {"ids": drafts + [published]}, token_from="/admin/pledge/")
    messages = clerk.get("/admin/pledge/").get_data(as_text=True)
    assert f"提交审核：成功 {len(drafts)} 份" in messages and "未能提交审核：当前状态为“已公示”" in messages
    with seeded.app_context():
        assert Pledge.objects(pk__in=drafts, state="submitted").count() == len(drafts)


def test_actions_on_another_organisations_pledges_show_nothing(seeded, login_as):
    with seeded.app_context():
        qy_pledge = str(Pledge.objects(organisation=org("QY01"), state="draft").first().pk)
    clerk = login_as("sq_clerk")
    assert clerk.get(f"/admin/pledge/act/submit/?ids={qy_pledge}").status_code == 404
    clerk.post("/admin/pledge/act/submit/", {"ids": [qy_pledge]}, token_from="/admin/pledge/")
    with seeded.app_context():
        assert Pledge.objects(pk=qy_pledge).first().state == "draft"


def test_board_shows_exactly_the_published_data(seeded, client):
    html = client.get(f"/board/JD01?year={YEAR}").get_data(as_text=True)
    with seeded.app_context():
        public = Pledge.objects(year=YEAR, state__in=["published", "fulfilling", "fulfilled", "late", "excused",
                                                      "evaluated"])
        hidden = Pledge.objects(year=YEAR, state__in=["draft", "submitted", "returned", "approved", "signed"])
        assert html.count('class="pledge"') == public.count()
        for pledge in hidden.filter(scope="member"):
            if not public.filter(member=pledge.member).first():
                assert pledge.member.name not in html
        for pledge in public.filter(scope="member"):
            assert pledge.member.id_number not in html and pledge.member.phone not in html
    assert client.get(f"/board/NOPE?year={YEAR}").status_code == 404
    assert "审核" not in html.replace("接受群众监督", "")


def test_details_page_offers_only_allowed_actions_and_tells_the_story(seeded, draft, login_as):
    act(seeded, "sq_clerk", draft, "submit")
    clerk_page = login_as("sq_clerk").get(f"/admin/pledge/details/?id={draft}").get_data(as_text=True)
    assert "审核通过" not in clerk_page
    reviewer_page = login_as("sq_reviewer").get(f"/admin/pledge/details/?id={draft}").get_data(as_text=True)
    assert "审核通过" in reviewer_page and "退回修改" in reviewer_page and "提交了 " in reviewer_page


def test_every_transition_is_declared_once():
    assert len(TRANSITIONS) == 11


def test_home_lists_pledges_waiting_for_my_review(seeded, draft, login_as):
    act(seeded, "sq_clerk", draft, "submit")
    html = login_as("sq_reviewer").get("/admin/").get_data(as_text=True)
    assert "等待我审核的承诺" in html and "流程党员" in html
    assert "流程党员" not in login_as("jd_reviewer").get("/admin/").get_data(as_text=True)


def test_stale_pledge_form_is_refused_and_input_kept(seeded, draft, login_as):
    from tests.htmlform import as_multidict, form_data
    edit = f"/admin/pledge/edit/?id={draft}"
    first, second = login_as("sq_clerk"), login_as("admin")
    form_a = [(k, v) for k, v in form_data(first.get(edit).get_data(as_text=True)) if k != "search"]
    form_b = [(k, v) for k, v in form_data(second.get(edit).get_data(as_text=True)) if k != "search"]
    assert first.client.post(edit, data=as_multidict([(k, "甲的楼院" if k == "v_louyuan" else v)
                                                      for k, v in form_a])).status_code == 302
    response = second.client.post(edit, data=as_multidict([(k, "乙的楼院" if k == "v_louyuan" else v) for k, v in form_b]))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已被他人修改" in page and "乙的楼院" in page
    with seeded.app_context():
        assert Pledge.objects(pk=draft).first().values["louyuan"] == "甲的楼院"


def path_to(state):
    """The shortest list of transition names that takes a draft to this state, found in TRANSITIONS."""
    paths, queue = {"draft": []}, ["draft"]
    while queue:
        current = queue.pop(0)
        for step in TRANSITIONS.values():
            if current in [s.value for s in step.sources] and step.target.value not in paths:
                paths[step.target.value] = paths[current] + [step.name]
                queue.append(step.target.value)
    return paths[state]


INPUTS = {"checklist": CHECKS, "guidance": "同意", "reason": "群众反映需调整", "note": "客观原因说明"}
ACTOR = {"writer": "sq_clerk", "reviewer": "sq_reviewer"}
MOVES = [(name, source.value) for name, step in TRANSITIONS.items() for source in step.sources]
STATES = sorted({s.value for step in TRANSITIONS.values() for s in (*step.sources, step.target)})


def bring(app, pledge_id, state):
    for name in path_to(state):
        act(app, ACTOR[TRANSITIONS[name].who], pledge_id, name, **INPUTS)


@pytest.mark.parametrize("name,source", MOVES, ids=[f"{n}-from-{s}" for n, s in MOVES])
def test_every_transition_from_every_allowed_state(seeded, draft, name, source):
    bring(seeded, draft, source)
    step = TRANSITIONS[name]
    pledge = act(seeded, ACTOR[step.who], draft, name, **INPUTS)
    assert pledge.state == step.target.value
    with seeded.app_context():
        entry = AuditEntry.objects(record_id=draft, action=step.title).order_by("-at").first()
        assert entry.before == {"state": source} and entry.after["state"] == step.target.value


@pytest.mark.parametrize("state", STATES)
def test_every_other_action_is_refused_in_each_state(seeded, draft, state):
    bring(seeded, draft, state)
    refused = [n for n, step in TRANSITIONS.items() if state not in [s.value for s in step.sources]]
    assert refused
    for name in refused:
        with pytest.raises(TransitionRefused, match="当前状态为"):
            act(seeded, "admin", draft, name, **INPUTS)
    with seeded.app_context():
        pledge = Pledge.objects(pk=draft).first()
        assert pledge.state == state and AuditEntry.objects(record_id=draft).count() == 1 + len(path_to(state))


def test_the_cycle_matrix_reaches_every_state_and_runs_every_move():
    assert len(MOVES) == 16 and ("late", "fulfilling") in MOVES and ("evaluate", "late") in MOVES
    assert {"draft", "returned", "late", "excused", "evaluated"} <= set(STATES)
    assert all(path_to(state) or state == "draft" for state in STATES)
