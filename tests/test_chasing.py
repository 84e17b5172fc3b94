"""催办, notices, to-dos, the 提诺 window, the year rollover and 居民点单, walked through as clerks, reviewers and administrators would."""
import datetime as dt
import io
import re
import subprocess

from openpyxl import load_workbook

from documents import AuditEntry, Pledge, User, jobs, rollover, summary
from documents.calendar import PublicationDeadline
from documents.cycle import transition
from documents.notices import Notice
from documents.opinion import Opinion
from documents.pledge import PledgeItem
from documents.pledging import save_pledge
from documents.suggestion import Suggestion
from documents.template import PledgeTemplate
from documents.window import WorkWindow
from tests.clock import TODAY, YEAR
from tests.factories import make_member, org
from tests.htmlform import as_multidict, form_data


def days(n):
    return TODAY + dt.timedelta(days=n)


def cn(day):
    return f"{day.year}年{day.month}月{day.day}日"


def chase_scene():
    """In SQ01: a published pledge with one item overdue and one due in 5 days, a draft as the street's deadline
    nears, and a member with no pledge."""
    sq = org("SQ01")
    pledge = Pledge.objects(organisation=sq, scope="member", state="published").first()
    Pledge.objects(pk=pledge.pk).update_one(set__items=[
        PledgeItem(content="修好3号楼楼道灯", owner="本人", deadline=days(-2)),
        PledgeItem(content="走访独居老人", owner="本人", deadline=days(5))])
    draft = Pledge.objects(organisation=sq, scope="member", state="draft").first()
    PublicationDeadline(organisation=org("JD01"), year=YEAR, deadline=days(10)).save_checked(None)
    newcomer = make_member(name="催办新党员", organisation=sq, phone="13911112222")
    summary.refresh(sq.pk)
    return pledge.reload(), draft, newcomer


def test_chase_list_groups_by_person_exports_and_notifies_once_with_receipts(seeded, login_as):
    with seeded.app_context():
        pledge, draft, newcomer = chase_scene()
        member = pledge.member
    clerk, reviewer, other = login_as("sq_clerk"), login_as("sq_reviewer"), login_as("qy_clerk")

    page = clerk.get("/admin/chase/").get_data(as_text=True)
    assert f"{member.name} · " in page and member.phone in page, "grouped under the member with a phone to call"
    assert "修好3号楼楼道灯" in page and "已逾期" in page and "走访独居老人" in page and "7天内到期" in page
    assert draft.member_name in page and "承诺未提交审核" in page and cn(days(10)) in page
    assert "催办新党员" in page and "13911112222" in page and "党员尚未承诺" in page
    assert "修好3号楼楼道灯" not in other.get("/admin/chase/").get_data(as_text=True)
    with seeded.app_context():
        sq = org("SQ01")
    assert other.get(f"/admin/chase/?organisation={sq.pk}").status_code == 404
    assert other.get(f"/admin/chase/export/xlsx?organisation={sq.pk}").status_code == 404

    sheet = load_workbook(io.BytesIO(clerk.get("/admin/chase/export/xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["联系人", "联系电话"]
    overdue = next(r for r in rows if r[6] and "修好3号楼楼道灯" in r[6])
    assert overdue[:2] == [member.name, member.phone] and overdue[4] == "已逾期" and overdue[7].date() == days(-2)
    pdf = clerk.get("/admin/chase/export/pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "催办清单" in text and "修好3号楼楼道灯" in text and member.phone in text

    with seeded.app_context():
        before = Notice.objects.count()
    clerk.get("/admin/"), reviewer.get("/admin/"), clerk.get("/admin/chase/")
    runner = seeded.test_cli_runner()
    with seeded.app_context():
        assert Notice.objects.count() == before == 0, "pages never send notices"
        first = runner.invoke(args=["chase"])
        again = runner.invoke(args=["chase"])
        assert re.search(r"已发送催办提醒 [1-9]\d* 条", first.output), first.output
        assert "已发送催办提醒 0 条" in again.output
        mine = {n.text: n for n in Notice.objects(user=User.objects(username="sq_clerk").first().pk)}
        overdue_notice = next(n for t, n in mine.items() if "修好3号楼楼道灯" in t)
        assert sum("修好3号楼楼道灯" in t for t in mine) == 1 and any("催办新党员" in t for t in mine)
        reviewer_texts = [n.text for n in Notice.objects(user=User.objects(username="sq_reviewer").first().pk)]
        assert any("修好3号楼楼道灯" in t for t in reviewer_texts), "overdue lines reach the reviewer too"
        assert not any("走访独居老人" in t for t in reviewer_texts), "lines not yet late go to the clerk only"
        qy_texts = [n.text for n in Notice.objects(user=User.objects(username="qy_clerk").first().pk)]
        assert qy_texts and not any("幸福里" in t for t in qy_texts), "each branch hears of its own lines only"

    home = clerk.get("/admin/").get_data(as_text=True)
    assert re.search(r"未读提醒 [1-9]\d* 条", home)
    listing = clerk.get("/admin/notice/").get_data(as_text=True)
    assert "未读" in listing and "修好3号楼楼道灯" in listing
    assert other.post(f"/admin/notice/read/{overdue_notice.pk}", token_from="/admin/notice/").status_code == 404
    opened = clerk.post(f"/admin/notice/read/{overdue_notice.pk}", {"open": "1"}, token_from="/admin/notice/")
    assert opened.status_code == 302 and f"id={pledge.pk}" in opened.headers["Location"]
    with seeded.app_context():
        read_at = Notice.objects(pk=overdue_notice.pk).first().read_at
    local = read_at.replace(tzinfo=dt.timezone.utc).astimezone(dt.timezone(dt.timedelta(hours=8)))
    receipt = f"已读 {cn(local)} {local:%H:%M}"
    assert receipt in clerk.get("/admin/notice/").get_data(as_text=True)
    assert receipt in reviewer.get("/admin/chase/").get_data(as_text=True), "the receipt shows on the chase page"


def test_todos_name_whose_pledge_and_notices_follow_transitions_once(seeded, login_as):
    with seeded.app_context():
        pledge, draft, _newcomer = chase_scene()
        clerk_user, reviewer_user = (User.objects(username=u).first() for u in ("sq_clerk", "sq_reviewer"))
        Opinion(pledge=pledge, organisation_id=pledge.organisation.pk, text="楼道灯还没修好").save_checked(None)
        transition(clerk_user, draft.pk, "submit")
        submitted = Notice.objects(user=reviewer_user.pk).first()
        assert submitted and "待审核" in submitted.text and draft.member_name in submitted.text
        transition(reviewer_user, draft.pk, "return", guidance="请写明走访频次", checklist={})
        returned = [n.text for n in Notice.objects(user=clerk_user.pk)]
        assert len(returned) == 1 and "已退回" in returned[0] and "请写明走访频次" in returned[0]
        sq_name = pledge.organisation.name
    clerk = login_as("sq_clerk").get("/admin/").get_data(as_text=True)
    todo = clerk[clerk.index("待办"):]
    assert re.search(r"退回给我修改的承诺（[1-9]", todo) and f"{draft.member_name} 的党员公开承诺（{sq_name}）" in todo
    assert "楼道灯还没修好" in todo and f"{pledge.label}（{sq_name}）" in todo
    overdue = re.findall(r'<li class="pd-overdue"><a href="[^"]+">([^：<]*)：[^<]+</a>（([^，]+)，\d{4}年', todo)
    assert overdue and all(whose and where == sq_name for whose, where in overdue), "each overdue line says whose"
    assert "等待我审核的承诺" not in todo
    reviewer = login_as("sq_reviewer").get("/admin/").get_data(as_text=True)
    assert "等待我审核的承诺" in reviewer and "退回给我修改的承诺" not in reviewer
    assert "楼道灯还没修好" not in login_as("qy_clerk").get("/admin/").get_data(as_text=True)


def test_pledges_outside_the_proposal_window_need_an_administrators_reason(seeded, login_as):
    admin, clerk = login_as("admin"), login_as("sq_clerk")
    with seeded.app_context():
        jd, sq = org("JD01"), org("SQ01")
        member = make_member(name="窗口外党员", organisation=sq)
    form = {"organisation": str(jd.pk), "year": str(YEAR), "propose_from": days(-60).isoformat(),
            "propose_until": days(-31).isoformat()}
    assert admin.post("/admin/window/new/", form, token_from="/admin/window/new/").status_code == 302
    assert "已结束31天" in clerk.get("/admin/").get_data(as_text=True)

    url = f"/admin/pledge/new/?organisation={sq.pk}&member={member.pk}&year={YEAR}"
    refused = clerk.get(url, follow_redirects=True).get_data(as_text=True)
    assert "不能新建承诺" in refused and "请系统管理员填写原因" in refused
    html = admin.get(url).get_data(as_text=True)
    pairs = [(k, {"v_louyuan": "9号楼", "v_post_duty": "网格员"}.get(k, v)) for k, v in form_data(html)
             if not k.startswith("items-")]
    pairs += [("items-0-content", "补录的承诺事项"), ("items-0-owner", "本人"), ("items-0-deadline", f"{YEAR}-12-31"),
              ("items-1-content", "每月走访"), ("items-1-owner", "本人"), ("items-1-deadline", f"{YEAR}-12-31")]
    without = admin.client.post(url, data=as_multidict(pairs)).get_data(as_text=True)
    assert "新建承诺须填写原因" in without
    with seeded.app_context():
        assert not Pledge.objects(member=member.pk).count()
    reason = [(k, v) for k, v in pairs if k != "outside_reason"] + [("outside_reason", "党员长期外出务工，返乡后补录")]
    assert admin.client.post(url, data=as_multidict(reason)).status_code == 302
    with seeded.app_context():
        created = Pledge.objects(member=member.pk).first()
        entry = AuditEntry.objects(record_id=created.pk).first()
        assert entry.action == "提诺时间外新建承诺" and entry.after["原因"] == "党员长期外出务工，返乡后补录"
        WorkWindow.objects(organisation=jd.pk).update_one(set__propose_from=days(-1), set__propose_until=days(8))
    assert "还剩9天" in clerk.get("/admin/").get_data(as_text=True)
    assert clerk.get(url).status_code == 200, "inside the window a clerk records pledges as before"


def test_year_rollover_previews_then_creates_next_years_set_once_in_a_job_with_links_both_ways(seeded, login_as,
                                                                                                  monkeypatch):
    admin = login_as("admin")
    with seeded.app_context():
        jd, sq = org("JD01"), org("SQ01")
        pledge = Pledge.objects(organisation=sq, scope="member", state="published").first()
        template = pledge.template
        PledgeTemplate.objects(pk=template.pk).update_one(set__years=[YEAR])
        PublicationDeadline(organisation=jd, year=YEAR, deadline=dt.date(YEAR, 5, 31)).save_checked(None)
        item = pledge.items[0].content
    launched = []
    monkeypatch.setattr(jobs, "launch", lambda job_id, attempt: launched.append(job_id))

    def state():
        with seeded.app_context():
            return (Pledge.objects(year=YEAR + 1).count(), PublicationDeadline.objects(year=YEAR + 1).count(),
                    sum(a.startswith("年度结转") for a in AuditEntry.objects.scalar("action")))

    def twice(path, page, **fields):
        """Post a page's form as it stands, twice as a double click does; return where each post led."""
        nonce = re.search(r'name="nonce" value="([^"]+)"', admin.get(page).get_data(as_text=True)).group(1)
        form = {"csrf_token": admin.token(page), "nonce": nonce, **fields}
        return [admin.client.post(path, data=form).headers["Location"] for _ in "12"]

    def previewed():
        """Work out the preview in its job (run here, not in a process of its own); return the page showing it."""
        [job_url] = set(twice("/admin/rollover/preview/", "/admin/rollover/", year=str(YEAR)))
        assert launched[-1] == job_url.split("/")[-2] and job_url.startswith(f"/admin/job/rollover-preview:{YEAR}:")
        with seeded.app_context():
            jobs.run(launched[-1])
        back = re.search(r'href="([^"]+)">查看预览并确认结转', admin.get(job_url).get_data(as_text=True)).group(1)
        return back.replace("&amp;", "&"), admin.get(back.replace("&amp;", "&")).get_data(as_text=True)

    assert login_as("sq_clerk").get("/admin/rollover/").status_code == 403
    url, preview = previewed()
    assert str(template) in preview and cn(dt.date(YEAR + 1, 5, 31)) in preview and item in preview
    assert "幸福里社区党支部" in preview.split("<tbody>")[1].split("</tbody>")[0], "items summed up by organisation"
    assert state() == (0, 0, 0) and len(launched) == 1, "the preview changes nothing; a double click, one job"

    # The request only starts the job; a double click, and another form, find the same job.
    first = twice(f"/admin/rollover/run/?year={YEAR}", url)
    assert first == [f"/admin/job/rollover:{YEAR}:1/"] * 2 and launched[-1] == f"rollover:{YEAR}:1"
    waiting = admin.get(url).get_data(as_text=True)
    assert "年度结转正在进行" in waiting and 'name="nonce"' not in waiting and state() == (0, 0, 0)
    with seeded.app_context():
        again = rollover.start_job(User.objects(username="admin").first(), YEAR)  # from another tab's form
        assert again.id == f"rollover:{YEAR}:1" and launched[-1] == again.id and len(launched) == 2
        jobs.run(again.id)
    once = state()
    done = admin.get(first[0]).get_data(as_text=True)
    assert f"已结转到{YEAR + 1}年：延用模板 1 个，复制期限和时间 1 条" in done and "新建草稿承诺" in done
    assert admin.get(first[0] + "status.json").get_json()["state"] == "done"
    listed = admin.get("/admin/job/").get_data(as_text=True)
    assert "年度结转预览" in listed and "年度结转</a>" in listed and "年度归档包" not in listed, "my jobs, by name"
    assert re.search(r"<td>\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d</td>", listed), "started when, in Chinese"
    assert "已完成 · 已完成" not in done, "the state is said once"
    assert once[0] > 0 and once[1] == 1
    with seeded.app_context():
        assert YEAR + 1 in PledgeTemplate.objects(pk=template.pk).first().years
        nxt = Pledge.objects(member=pledge.member.pk, year=YEAR + 1).first()
        assert nxt.state == "draft" and any(c["pledge"] == pledge.pk and c["index"] == 0 for c in nxt.carried_from)
        assert item in [i.content for i in nxt.items]
        slots = sorted(Pledge.objects(organisation=sq.pk, year=YEAR + 1).scalar("slot"))
        assert slots == list(range(len(slots))), "next year's drafts are numbered for the pledge list's pages"
    _url, finished = previewed()
    assert f"{YEAR}年已全部结转" in finished and 'id="rollover-confirm"' not in finished, "nothing left to do: no button"
    admin.client.post(f"/admin/rollover/run/?year={YEAR}", data={"csrf_token": admin.token("/admin/"),
                                                                 "nonce": "x" * 20})
    with seeded.app_context():
        jobs.run(launched[-1])
    assert launched[-1] == f"rollover:{YEAR}:2" and state() == once, "running it twice changes nothing"
    old_page = admin.get(f"/admin/pledge/details/?id={pledge.pk}").get_data(as_text=True)
    new_page = admin.get(f"/admin/pledge/details/?id={nxt.pk}").get_data(as_text=True)
    assert "已结转至" in old_page and f"details/?id={nxt.pk}" in old_page
    assert f"结转自{YEAR}年" in new_page and f"details/?id={pledge.pk}" in new_page


def test_a_residents_opinion_becomes_next_years_practical_item_linked_both_ways(seeded, login_as):
    clerk, other = login_as("sq_clerk"), login_as("qy_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        pledge = Pledge.objects(organisation=sq, scope="member", state="published").first()
        opinion = Opinion(pledge=pledge, organisation_id=sq.pk, text="希望小区加装电动车充电桩")
        opinion.save_checked(None)
        member = make_member(name="点单党员", organisation=sq)
        nxt = save_pledge(User.objects(username="admin").first(), organisation=sq, member=member, year=pledge.year + 1,
                          raw_values={"louyuan": "9号楼", "post_duty": "网格员", "political": "坚决拥护"},
                          raw_items=[{"content": "每月走访", "owner": "本人", "deadline": f"{YEAR + 1}-12-31"}] * 2)
    details = f"/admin/opinion/details/?id={opinion.pk}"
    assert "转为居民点单" in clerk.get(details).get_data(as_text=True)
    assert other.post(f"/admin/suggestion/from_opinion/?id={opinion.pk}", token_from="/admin/").status_code == 404
    for _ in range(2):
        clerk.post(f"/admin/suggestion/from_opinion/?id={opinion.pk}", {"text": "在3号楼旁加装电动车充电桩"},
                   token_from=details)
    with seeded.app_context():
        made = Suggestion.objects(opinion=opinion.pk)
        assert made.count() == 1 and made.first().year == pledge.year + 1, "one suggestion per opinion, for next year"
        made = made.first()
    assert f"已转为{pledge.year + 1}年实事承诺建议" in clerk.get(details).get_data(as_text=True)

    page = f"/admin/pledge/details/?id={nxt.pk}"
    offered = clerk.get(page).get_data(as_text=True)
    assert "居民点单（1）" in offered and "在3号楼旁加装电动车充电桩" in offered
    assert other.post(f"/admin/suggestion/take/?id={made.pk}&pledge={nxt.pk}", token_from="/admin/").status_code == 404
    clerk.post(f"/admin/suggestion/take/?id={made.pk}&pledge={nxt.pk}", token_from=page)
    with seeded.app_context():
        items = [i.content for i in Pledge.objects(pk=nxt.pk).first().items]
        assert items[-1] == "在3号楼旁加装电动车充电桩" and len(items) == 3
    taken = clerk.get(page).get_data(as_text=True)
    assert "居民点单（" not in taken and "来自居民点单" in taken and f"opinion/details/?id={opinion.pk}" in taken
    back = clerk.get(details).get_data(as_text=True)
    assert "已纳入" in back and f"pledge/details/?id={nxt.pk}" in back
