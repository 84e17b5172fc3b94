"""党员示范岗: a secretary's year of one post, from the refused collective to the veto, and the scheme as a setting."""
import datetime as dt

from documents import AuditEntry, Member
from documents.activity import ActivityScheme, Assessment
from documents.modelpost import ModelPost
from documents.supervision import Rectification
from documents.template_versions import save_edit
from exporters import archive
from seed.activities import SIX_STANDARDS
from tests.clock import YEAR
from tests.test_exports import pdf_text
from tests.factories import org
from tests.htmlform import as_multidict, form_data


def sq_people():
    """(two party members, one activist) of 幸福里社区."""
    people = list(Member.objects(organisation=org("SQ01"), status="在册"))
    members = [m for m in people if not {"入党积极分子", "非党骨干"} & set(m.categories)]
    activist = next(m for m in people if {"入党积极分子", "非党骨干"} & set(m.categories))
    return members[:2], activist


def post_form(scheme, members, **changes):
    fields = {"organisation": str(org("SQ01").pk), "scheme": str(scheme.pk), "title": "便民服务窗口",
              "motto": "群众的事再小也是大事", "v_duty": "户籍办理、便民咨询", **changes}
    return as_multidict([*fields.items(), *[("members", str(m.pk)) for m in members],
                         *[("standards_met", s) for s in SIX_STANDARDS]])


def send(browser, url, form):
    """POST a form with repeated keys (tick boxes), with the CSRF token of the page it comes from."""
    form["csrf_token"] = browser.token(url)
    return browser.client.post(url, data=form)


def assess(clerk, post, quarter, public, org_score, problems=""):
    day = dt.date(YEAR, quarter * 3 - 1, 10)
    return clerk.post(f"/admin/modelpost/assess/?id={post.pk}", {
        "assessed_on": day.isoformat(), "year": str(YEAR), "number": str(quarter), "score_public_0": str(public),
        "score_org_0": str(org_score), "problems": problems}, token_from=f"/admin/modelpost/details/?id={post.pk}")


def test_model_post_year_from_refused_collective_to_veto(seeded, login_as):
    with seeded.app_context():
        scheme = ActivityScheme.objects(kind="modelpost").first()
        (first, second), activist = sq_people()
    clerk = login_as("sq_clerk")
    # A collective post with an activist in it is refused, naming the activist.
    html = send(clerk, "/admin/modelpost/new/", post_form(scheme, [first, activist], collective="y")).get_data(as_text=True)
    assert f"集体示范岗内的人员必须均为共产党员：{activist.name}不是在册党员" in html
    # The template's required field is checked like a pledge's.
    html = send(clerk, "/admin/modelpost/new/", post_form(scheme, [first], v_duty="")).get_data(as_text=True)
    assert "此项必填" in html
    response = send(clerk, "/admin/modelpost/new/", post_form(scheme, [first]))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    with seeded.app_context():
        assert ModelPost.objects(title="便民服务窗口").count() == 1
        post = ModelPost.objects(title="便民服务窗口").get()
        assert post.values["duty"] == "户籍办理、便民咨询" and post.state == "declared"
    details = f"/admin/modelpost/details/?id={post.pk}"
    # The members' vote: a minority is refused, a majority confirms the post with the figures recorded.
    clerk.post(f"/admin/modelpost/confirm/?id={post.pk}", {"on": f"{YEAR}-01-15", "votes_for": "4", "votes_cast": "10"},
               token_from=details)
    assert "未超过投票人数10人的半数" in clerk.get(details).get_data(as_text=True)
    clerk.post(f"/admin/modelpost/confirm/?id={post.pk}", {"on": f"{YEAR}-01-15", "votes_for": "9", "votes_cast": "12"},
               token_from=details)
    page = clerk.get(details).get_data(as_text=True)
    assert "已授牌" in page and "赞成 9 票 / 投票 12 人" in page
    assert "已授牌 2 个 · 待确认 0 个" in clerk.get("/admin/").get_data(as_text=True)  # and the demo's 楼院调解岗
    # Pass, fail (a problem: one line in the 整改台账), pass: no reward yet; a second pass in a row earns it.
    assert assess(clerk, post, 1, 92, 88).status_code == 302
    assess(clerk, post, 2, 60, 70, problems="窗口午休时段无人值守")
    assess(clerk, post, 3, 90, 90)
    rewards = f"/admin/modelpost/rewards/?year={YEAR}"
    assert first.name not in clerk.get(rewards).get_data(as_text=True)
    with seeded.app_context():
        line = Rectification.objects(organisation=org("SQ01")).first()
        assert "窗口午休时段无人值守" in line.problem and "便民服务窗口" in line.problem
        assert [a.passed for a in Assessment.objects(post=post.pk).order_by("number")] == [True, False, True]
    assess(clerk, post, 4, 85, 95)
    page = clerk.get(rewards).get_data(as_text=True)
    assert first.name in page and "奖励现金1000元" in page
    # The plaque prints the post, the name, the motto and the standards.
    plaque = pdf_text(clerk.get(f"/admin/modelpost/plaque/?id={post.pk}").data)
    assert "便民服务窗口" in plaque and first.name in plaque and "秉公办事" in plaque and "已撤销" not in plaque
    # Another branch's clerk reaches none of it.
    other = login_as("qy_clerk")
    for url in (details, f"/admin/modelpost/plaque/?id={post.pk}", f"/admin/modelpost/edit/?id={post.pk}"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/admin/modelpost/veto/?id={post.pk}", {"ground": scheme.veto_grounds[2], "decided_by": "越权"},
                      token_from="/admin/").status_code == 404
    assert first.name not in other.get(rewards).get_data(as_text=True)
    assert "已授牌 0 个" in other.get("/admin/").get_data(as_text=True)
    with seeded.app_context():
        names = [archive.render_task(t)[0] for t in archive.archive_tasks(org("SQ01"), YEAR, "") if t[0] == "plaque"]
        assert f"示范岗标牌/SQ01_便民服务窗口_{post.pk}.pdf" in names and all("/SQ01_" in n for n in names)
    # 一票否决: the title goes at once, with ground, date and who decided; the plaque says it is withdrawn.
    clerk.post(f"/admin/modelpost/veto/?id={post.pk}", {"ground": scheme.veto_grounds[2], "on": f"{YEAR}-11-20",
                                                        "decided_by": "局领导班子会议"}, token_from=details)
    with seeded.app_context():
        post.reload()
        assert (post.state, post.veto_ground, post.vetoed_by) == ("revoked", scheme.veto_grounds[2], "局领导班子会议")
        entry = AuditEntry.objects(record_id=post.pk, action="一票否决，撤销称号、收回挂牌").first()
        assert entry.after["state"] == "revoked" and entry.actor.startswith("周婷")
    plaque = pdf_text(clerk.get(f"/admin/modelpost/plaque/?id={post.pk}").data)
    assert "已撤销" in plaque and "收回挂牌" in plaque and f"{YEAR}年11月20日" in plaque
    assert first.name not in clerk.get(rewards).get_data(as_text=True)
    assert "考评未完成" in clerk.post(f"/admin/modelpost/assess/?id={post.pk}", {"score_public_0": "90"},
                                  token_from=details, follow_redirects=True).get_data(as_text=True)


def test_administrator_changes_standard_weight_and_reward_rule_in_the_browser(seeded, login_as):
    with seeded.app_context():
        scheme = ActivityScheme.objects(kind="modelpost").first()
        (first, _second), _activist = sq_people()
    admin = login_as("admin")
    edit = f"/admin/activityscheme/edit/?id={scheme.pk}"
    data = as_multidict(form_data(admin.get(edit).get_data(as_text=True)))
    assert data["standards-1"] == SIX_STANDARDS[1]
    data["standards-1"] = "熟悉政策，精通业务，群众办事“最多跑一次”"
    weights = {data[f"raters-{i}-rater"]: f"raters-{i}-weight" for i in range(2)}
    data[weights["public"]], data[weights["org"]] = "0.9", "0.1"
    data["reward_after"], data["reward"] = "3", "奖励现金1500元"
    response = send(admin, edit, data)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        scheme.reload()
        standards = list(scheme.standards)
    form = post_form(scheme, [first])
    form.setlist("standards_met", standards)
    send(clerk, "/admin/modelpost/new/", form)
    with seeded.app_context():
        post = ModelPost.objects(title="便民服务窗口").get()
        assert "熟悉政策，精通业务，群众办事“最多跑一次”" in post.standards_met
        # The post's form is a template: edited once a post uses it, it becomes a new version; the post keeps its own.
        used = post.template
        used.fields[0].label = "岗位职责（含服务时间）"
        fresh = save_edit(used, used.version)
        assert fresh.number == used.number + 1 and post.reload().template.pk == used.pk
    assert "岗位职责（含服务时间）" in clerk.get("/admin/modelpost/new/").get_data(as_text=True)
    assert "岗位职责（含服务时间）" not in clerk.get(f"/admin/modelpost/edit/?id={post.pk}").get_data(as_text=True)
    clerk.post(f"/admin/modelpost/confirm/?id={post.pk}", {"on": f"{YEAR}-01-15", "votes_for": "9", "votes_cast": "12"},
               token_from=f"/admin/modelpost/details/?id={post.pk}")
    # Public 90 and leadership 40: 85 under the new weights (a pass), 70 under the old 0.6/0.4 (a fail).
    for quarter in (1, 2):
        assess(clerk, post, quarter, 90, 40)
    with seeded.app_context():
        assert [a.total for a in Assessment.objects(post=post.pk).order_by("number")] == [85.0, 85.0]
    rewards = f"/admin/modelpost/rewards/?year={YEAR}"
    assert first.name not in clerk.get(rewards).get_data(as_text=True)
    assess(clerk, post, 3, 90, 40)
    page = clerk.get(rewards).get_data(as_text=True)
    assert first.name in page and "奖励现金1500元" in page
    assert "熟悉政策，精通业务，群众办事“最多跑一次”" in pdf_text(clerk.get(f"/admin/modelpost/plaque/?id={post.pk}").data)
