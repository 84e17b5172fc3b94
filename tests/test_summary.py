"""Summaries: kept equal to a full recount by the operations, rebuilt by a command, and what the home page shows."""
import datetime as dt
import re
from collections import Counter

import pytest
import time_machine

from documents import Member, Organisation, Pledge, User, access, summary
from documents.calendar import PublicationDeadline
from documents.cycle import transition
from documents.pledging import save_pledge
from documents.progress import OPEN_STATES, latest_by_item, overdue_items, record
from documents.summary import OrgYearLines, OrgYearSummary, coverage, key, unpledged_members
from documents.supervision import SupervisionRound
from tests.commands import recorded
from tests.clock import YEAR
from tests.factories import make_member, make_org, org

CHECKS = {c: "y" for c in ("体现先进性要求", "以正在干的事情为中心", "体现岗位职责特点", "符合群众意愿", "切实可行")}
VALUES = {"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"}
ITEMS = [{"content": "每周走访楼院一次", "owner": "本人", "deadline": f"{YEAR}-03-31", "expected": "居民满意"},
         {"content": "清理楼道杂物", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "楼道整洁"}]
OPTIONAL = {"入党积极分子", "非党骨干"}


def user(name):
    return User.objects(username=name).first()


def full_recount(today):
    """{(organisation, year): figures} counted the slow way, from every record, with the app's own rules."""
    found = {}
    years = set(Pledge.objects.distinct("year")) | set(SupervisionRound.objects.distinct("year")) | {today.year}
    for o in Organisation.objects:
        members = list(Member.objects(organisation=o))
        expected = {m.pk for m in members if m.status == "在册" and not OPTIONAL & set(m.categories)}
        for year in years:
            pledges = list(Pledge.objects(organisation=o, year=year))
            rounds = Counter(str(r.quarter) for r in SupervisionRound.objects(organisation=o, year=year))
            if not pledges and not rounds and year != today.year:
                continue
            open_items = Counter()
            for p in pledges:
                if p.state in OPEN_STATES:
                    latest = latest_by_item(p)
                    for i, item in enumerate(p.items):
                        if item.deadline and getattr(latest.get(i), "status", None) != "已完成":
                            open_items[item.deadline.isoformat()] += 1
            found[(o.pk, year)] = {
                "pledges": {scope: dict(Counter(p.state for p in pledges if p.scope == scope)) for scope in ("member", "org")},
                "members_total": len(members), "members_active": sum(m.status == "在册" for m in members),
                "members_expected": len(expected),
                "members_pledged": len(expected & {p.member.pk for p in pledges if p.scope == "member"}),
                "open_items": dict(open_items), "rounds": dict(rounds)}
    return found


def stored():
    return {(s.organisation, s.year): {k: s[k] for k in ("pledges", "members_total", "members_active", "members_expected",
                                                          "members_pledged", "open_items", "rounds")}
            for s in OrgYearSummary.objects}


def test_summaries_equal_a_full_recount_after_each_kind_of_operation(seeded, login_as):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        first, second = make_member(name="汇总甲", organisation=sq), make_member(name="汇总乙", organisation=sq)
        made = {}
        steps = [
            lambda: made.setdefault("a", save_pledge(user("sq_clerk"), organisation=sq, member=first, year=YEAR,
                                                     raw_values=VALUES, raw_items=ITEMS)),
            lambda: made.setdefault("b", save_pledge(user("sq_clerk"), organisation=sq, member=second, year=YEAR,
                                                     raw_values=VALUES, raw_items=ITEMS)),
            lambda: transition(user("sq_clerk"), made["a"].pk, "submit"),
            lambda: transition(user("sq_reviewer"), made["a"].pk, "return", guidance="请写具体"),
            lambda: transition(user("sq_clerk"), made["a"].pk, "submit"),
            lambda: transition(user("sq_reviewer"), made["a"].pk, "approve", checklist=CHECKS),
            lambda: transition(user("sq_clerk"), made["a"].pk, "sign"),
            lambda: transition(user("sq_clerk"), made["a"].pk, "publish"),
            lambda: record(user("sq_clerk"), Pledge.objects(pk=made["a"].pk).first(), 0, dt.date(YEAR, 4, 1), "已完成", 100),
        ]
        for number, step in enumerate(steps):
            step()
            assert stored() == full_recount(dt.date.today()), f"after step {number}"
    clerk.post("/admin/supervision/new/", {"organisation": str(sq.pk), "year": str(YEAR), "quarter": "2",
               "held_on": f"{YEAR}-06-28", "summary": "二季度督诺"}, token_from="/admin/supervision/new/")
    with seeded.app_context():
        assert OrgYearSummary.objects(pk=f"{sq.pk}:{YEAR}").first().rounds == {"2": 1}
        assert stored() == full_recount(dt.date.today())
    clerk.post("/admin/pledge/delete/", {"id": str(made["b"].pk), "url": "/admin/pledge/"}, token_from="/admin/pledge/")
    with seeded.app_context():
        assert not Pledge.objects(pk=made["b"].pk).first()
        assert stored() == full_recount(dt.date.today())


def test_rebuild_command_recounts_what_was_changed_behind_the_operations(seeded, login_as):
    with seeded.app_context():
        Pledge.objects(organisation=org("QY01"), year=YEAR, scope="org").update(set__state="draft")
        OrgYearSummary.objects(organisation=org("SY01").pk).delete()
        OrgYearLines.objects.delete()
        OrgYearSummary.objects.update(unset__others=True)
        assert stored() != full_recount(dt.date.today())
        admin = user("admin")
        assert home_read(admin) == home_read(admin, every_year=True), "summaries without digests are all read"
    result = seeded.test_cli_runner().invoke(args=["rebuild-summaries"])
    assert result.exit_code == 0 and re.search(r"已重新统计 (\d+) / \1 个组织\n已重新统计 \d+ 份组织年度汇总，用时", result.output)
    with seeded.app_context():
        assert stored() == full_recount(dt.date.today())
        assert {s.pk for s in OrgYearLines.objects} == {s.pk for s in OrgYearSummary.objects}, "the to-do lines too"
        drafts = OrgYearLines.objects(pk=key(org("QY01").pk, YEAR)).first().firsts["draft"]
        assert [f["label"] for f in drafts if f["scope"] == "org"] == [f"{YEAR}年 {org('QY01').name} 的党组织公开承诺"]
        assert len({s.year for s in OrgYearSummary.objects}) > 1
        assert not OrgYearSummary._get_collection().count_documents({"others": {"$exists": False}})
        assert home_read(admin) == home_read(admin, every_year=True), "this year's summaries carry the other years"
    admin_browser = login_as("admin")
    with recorded() as commands:
        rebuilt = admin_browser.get("/admin/").get_data(as_text=True)
    assert "org_year_summary" not in {c[1] for c in commands}, "rebuild-summaries made the rollups"
    with seeded.app_context():
        summary.OrgYearRollup.objects.delete()  # as in a database written before rollups
    with recorded() as commands:
        page = admin_browser.get("/admin/").get_data(as_text=True)
    assert "org_year_summary" in {c[1] for c in commands}, "without rollups the home page adds up the summaries"
    assert without_tokens(rebuilt) == without_tokens(page), "the same page either way"


def without_tokens(page):
    """A page without what differs on every request: script nonces and CSRF tokens."""
    return re.sub(r'nonce="[^"]*"|name="csrf_token"[^>]*', "", page)


def home_figures(page):
    """The home page's headline and to-do counts, as a reader sees them."""
    return (re.search(r"您可以查看 (\d+) 个党组织、(\d+) 名党员（在册 (\d+) 名）", page).groups(),
            re.findall(r"<h6>([^<（]+)（(\d+)）</h6>", page), re.search(r"党员承诺 (\d+) / (\d+) 人", page).groups())


def test_a_pledge_deep_in_the_tree_changes_the_admin_and_street_home_read_from_rollups(seeded, login_as):
    admin, street = login_as("admin"), login_as("jd_reviewer")
    with seeded.app_context():
        community = make_org(parent=org("JD01"), level="党总支")
        grid = make_org(parent=community, level="党总支")
        branch = make_org(parent=grid, level="党支部")  # three levels below the street: a path of four
        for o in (community, grid, branch):
            summary.refresh(o.pk)
    before = {who: home_figures(b.get("/admin/").get_data(as_text=True)) for who, b in (("admin", admin), ("street", street))}
    with seeded.app_context():
        member = make_member(name="深处党员", organisation=branch)
        made = save_pledge(user("admin"), organisation=branch, member=member, year=YEAR, raw_values=VALUES, raw_items=ITEMS)
        transition(user("admin"), made.pk, "submit")
    for who, browser in (("admin", admin), ("street", street)):
        with recorded() as commands:
            page = browser.get("/admin/").get_data(as_text=True)
        (orgs, members, active), boxes, (pledged, expected) = home_figures(page)
        assert (orgs, int(members), int(active), int(expected)) == (
            before[who][0][0], int(before[who][0][1]) + 1, int(before[who][0][2]) + 1, int(before[who][2][1]) + 1), who
        assert int(pledged) == int(before[who][2][0]) + 1, who
        if who == "admin":
            review = dict(boxes)["等待我审核的承诺"]
            assert int(review) == int(dict(before[who][1])["等待我审核的承诺"]) + 1
        assert "org_year_rollup" in {c[1] for c in commands} and "org_year_summary" not in {c[1] for c in commands}, who
    with seeded.app_context():
        def added_up():
            """{rollup: (members, submitted)} next to the same added up from the subtree's summaries."""
            rolled = {r.pk: r for r in summary.OrgYearRollup.objects(year=YEAR)}
            return [((rolled[key(o.pk, YEAR)].members_total, rolled[key(o.pk, YEAR)].count(None, ("submitted",))),
                     (sum(s.members_total for s in subtree), sum(s.count(None, ("submitted",)) for s in subtree)))
                    for o in (branch, grid, community, org("JD01"))
                    for subtree in [list(OrgYearSummary.objects(org_path=o.pk, year=YEAR))]]

        assert all(rolled == counted for rolled, counted in added_up())
        grid.reload()
        grid.parent = org("JD01")  # moved up with the branch below it: the community no longer adds them up
        grid.save_checked(grid.version)
        summary.touched(grid, {"parent": str(community.pk)})
        assert all(rolled == counted for rolled, counted in added_up())
        assert summary.OrgYearRollup.objects(pk=key(community.pk, YEAR)).first().members_total == 0


def home_read(u, every_year=False):
    """{summary id: what the home page adds up of it} as read for the home page (this year), or of every year."""
    return {s.pk: (s.name, s.count(None, ("submitted",)), s.count(None, ("returned",)), s.first_open, s.items_due_before(
        dt.date.today()), s.members_expected) for s in summary.visible(u, () if every_year else (YEAR,))}


def old_figures(username, today):
    """What the home page counted before summaries: every pledge of the user's organisations, one by one."""
    from documents.calendar import deadline_for
    from documents.cycle import can_review
    from documents.organisation import ref_id
    u = user(username)
    members, pledges = access.scope(Member.objects, u), access.scope(Pledge.objects, u)
    unpublished = 0
    for p in pledges.filter(state__in=["draft", "submitted", "returned", "approved", "signed"], year=today.year):
        deadline = deadline_for(ref_id(p, "organisation"), p.year)
        unpublished += bool(deadline and deadline <= today + dt.timedelta(days=14))
    return {"members": members.count(), "active": members.filter(status="在册").count(),
            "review": len([p for p in pledges.filter(state="submitted") if can_review(u, p)]),
            "unpublished": unpublished,
            "overdue": sum(len(overdue_items(p, today)) for p in pledges.filter(state__in=list(OPEN_STATES)))}


@pytest.mark.parametrize("username", ["admin", "sq_clerk", "sq_reviewer", "jd_reviewer"])
def test_home_page_shows_the_same_figures_as_counting_every_pledge(seeded, login_as, username):
    with seeded.app_context():
        pledges = access.scope(Pledge.objects, user(username)).filter(state__in=list(OPEN_STATES))
        first = min(i.deadline for p in pledges for i in p.items if i.deadline)
    # Early in a year none of the user's open items is late yet: look on the day after the first of their deadlines.
    today = max(dt.date.today(), first + dt.timedelta(days=1))
    with time_machine.travel(dt.datetime.combine(today, dt.datetime.now().time()).astimezone(), tick=True):
        with seeded.app_context():
            PublicationDeadline(organisation=org("JD01"), year=today.year, deadline=today + dt.timedelta(days=3)).save_checked(None)
            expected = old_figures(username, today)
        assert expected["overdue"] and expected["unpublished"] and (expected["review"] or username in ("sq_clerk", "jd_reviewer"))
        html = login_as(username).get("/admin/").get_data(as_text=True)
        assert f"名党员（在册 {expected['active']} 名）" in html and f"、{expected['members']} 名党员" in html
        assert (f"等待我审核的承诺（{expected['review']}）" in html) == (username != "sq_clerk"), "a clerk reviews nothing"
        assert f"临近或超过公示期限、尚未公示（{expected['unpublished']}）" in html
        assert f"已过完成时限的承诺事项（{expected['overdue']}）" in html


def test_home_page_queries_do_not_grow_with_pledges(seeded, login_as):
    with seeded.app_context():
        PublicationDeadline(organisation=org("JD01"), year=dt.date.today().year,
                            deadline=dt.date.today() + dt.timedelta(days=3)).save_checked(None)
    clerk = login_as("sq_clerk")

    def add(n):
        with seeded.app_context():
            sq = org("SQ01")
            for _ in range(n):
                member = make_member(name="新党员", organisation=sq)
                save_pledge(user("sq_clerk"), organisation=sq, member=member, year=dt.date.today().year,
                            raw_values=VALUES, raw_items=ITEMS)

    def reads():
        with recorded() as commands:
            html = clerk.get("/admin/").get_data(as_text=True)
        return len(commands), int(re.search(r"尚未公示（(\d+)）", html).group(1)), commands

    add(8)
    before, shown_before, _ = reads()
    add(12)
    after, shown_after, commands = reads()
    assert shown_after == shown_before + 12
    assert after == before, commands
    assert not [c for c in commands if c[1] == "pledge"], "figures and names come from the summaries"


def test_coverage_counts_from_summaries_and_names_one_organisations_members(seeded, login_as):
    with seeded.app_context():
        sq, jd = org("SQ01"), org("JD01")
        pledged = {p.member.pk for p in Pledge.objects(scope="member", organisation=sq, year=YEAR)}
        expected = {m.pk for m in Member.objects(organisation=sq, status="在册")
                    if m.pk not in pledged and not OPTIONAL & set(m.categories)}
        assert {m["_id"] for m in unpledged_members(sq.pk, YEAR)} == expected and expected
        rows = {r.code: r for r in coverage(jd.pk, YEAR)}
        assert set(rows) == {o.code for o in Organisation.objects} and rows["SQ01"].unpledged == len(expected)
        assert rows["SQ01"].org_pledged and not rows["JD01"].org_pledged
        assert [r.code for r in coverage(sq.pk, YEAR + 1) if not r.org_pledged] == ["SQ01"]
        eligible = [m for m in Member.objects(organisation=sq, status="在册") if not OPTIONAL & set(m.categories)]
        assert coverage(sq.pk, YEAR + 1)[0].unpledged == len(eligible)
    html = login_as("jd_reviewer").get(f"/admin/pledge/coverage/?organisation={jd.pk}&year={YEAR}").get_data(as_text=True)
    assert "幸福里社区党支部" in html and "尚未承诺的党组织" in html
    page = login_as("sq_clerk").get(f"/admin/pledge/coverage/?organisation={sq.pk}&year={YEAR}").get_data(as_text=True)
    assert "尚未承诺的党员" in page and "录入承诺" in page
    assert login_as("sq_clerk").get(f"/admin/pledge/coverage/?organisation={jd.pk}").status_code == 404
