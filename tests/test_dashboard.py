"""The home page's charts and the 统计页: each role's figures equal a recount of its own records, and each bar opens its list."""
import datetime as dt
import html
import json
import re
import subprocess
from collections import Counter

from bson import ObjectId

from documents import Member, Organisation, Pledge, User, summary
from documents.evaluation import EvaluationRound, EvaluationScheme, members_of, record_scores, results
from documents.pledge import State
from documents.progress import OPEN_STATES, latest_by_item, record
from documents.supervision import Rectification, SupervisionRound
from tests.clock import TODAY, YEAR
from tests.commands import recorded
from tests.factories import make_org, org

OPTIONAL = {"入党积极分子", "非党骨干"}
CHARTS_RE = re.compile(r'<script type="application/json" id="pd-chart-data"[^>]*>(.*?)</script>', re.S)


def recount(code):
    """The figures of an organisation's subtree this year, counted from every record without the summaries."""
    ids = {o.pk for o in Organisation.objects(org_path=org(code).pk)}
    members = [m for m in Member.objects if m.organisation.pk in ids]
    pledges = [p for p in Pledge.objects(year=YEAR) if p.organisation.pk in ids]
    expected = {m.pk for m in members if m.status == "在册" and not OPTIONAL & set(m.categories)}
    # A member counts where they are on the roll: a pledge at the community they live in does not cover their branch.
    pledged = expected & {p.member.pk for p in pledges if p.scope == "member" and p.member.organisation == p.organisation}
    overdue = soon = 0
    for p in pledges:
        if p.state in OPEN_STATES:
            latest = latest_by_item(p)
            for i, item in enumerate(p.items):
                if item.deadline and getattr(latest.get(i), "status", None) != "已完成":
                    overdue += item.deadline < TODAY
                    soon += TODAY <= item.deadline <= TODAY + dt.timedelta(days=30)
    by_org = Counter(o.name for o in Organisation.objects if o.pk in ids for m in members
                     if m.organisation.pk == o.pk and m.pk in expected)
    done = Counter(m.organisation.name for m in members if m.pk in pledged)
    lines = [r for r in Rectification.objects if r.organisation.pk in ids and r.round.year == YEAR]
    grades = Counter(row[3] for r in EvaluationRound.objects(year=YEAR, period="年度") if r.organisation.pk in ids
                     for row in results(r))
    return {
        "coverage": {name: round(100 * done[name] / n) for name, n in by_org.items()},
        "funnel": [sum(p.state == s.value for p in pledges) for s in State],
        "items": [overdue, soon],
        "rounds": [sum(r.quarter == q for r in SupervisionRound.objects(year=YEAR) if r.organisation.pk in ids)
                   for q in (1, 2, 3, 4)],
        "rectifications": [sum(not r.closed_on for r in lines), sum(bool(r.closed_on) for r in lines)],
        "grades": dict(grades),
        "members": (len(pledged), len(expected)),
    }


def charts(page):
    return {c["id"]: c for c in json.loads(CHARTS_RE.search(page).group(1))}


def rows(browser, url):
    """How many records a list page shows."""
    return browser.get(html.unescape(url)).get_data(as_text=True).count('name="rowid"')


def round_form(code, quarter, held_on, **note):
    with_note = {f"notes-0-{k}": v for k, v in note.items()}
    return {"organisation": str(org(code).pk), "year": str(YEAR), "quarter": str(quarter), "held_on": held_on,
            "summary": "践诺情况良好", **with_note}


def test_each_role_sees_its_own_figures_linked_to_their_lists_and_printed(seeded, login_as):
    sq_clerk, qy_clerk = login_as("sq_clerk"), login_as("qy_clerk")
    with seeded.app_context():
        sq_pledges = list(Pledge.objects(organisation=org("SQ01"), state="published", scope="member"))
        done, late = sq_pledges[0], sq_pledges[2]
        late.items[0].deadline, late.items[1].deadline = TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=10)
        Pledge.objects(pk=late.pk).update_one(set__items=late.items)
        record(User.objects(username="sq_clerk").first(), done, 0, TODAY, "已完成", 100)
        forms = [(sq_clerk, round_form("SQ01", 1, f"{YEAR}-02-10")),
                 (sq_clerk, round_form("SQ01", 2, f"{YEAR}-05-10", pledge=str(sq_pledges[1].pk), comment="进度滞后",
                                       problem="楼道清理未按期完成", rectify_by=f"{YEAR}-06-30")),
                 (sq_clerk, round_form("SQ01", 2, f"{YEAR}-06-10", pledge=str(sq_pledges[1].pk), criticised="y",
                                       comment="再次滞后", rectify_by=f"{YEAR}-07-31")),
                 (qy_clerk, round_form("QY01", 1, f"{YEAR}-03-01"))]
    for clerk, form in forms:
        assert clerk.post("/admin/supervision/new/", form, token_from="/admin/supervision/new/").status_code == 302
    with seeded.app_context():
        first = Rectification.objects(organisation=org("SQ01")).order_by("deadline").first()
    sq_clerk.post("/admin/rectification/action/", {"action": "close", "rowid": [str(first.pk)], "url": "/admin/rectification/"},
                  token_from="/admin/rectification/")
    with seeded.app_context():
        evaluation = EvaluationRound(organisation=org("SQ01"), year=YEAR, scheme=EvaluationScheme.objects.first())
        evaluation.save_checked(None)
        scores = {str(m.pk): str(s) for m, s in zip(members_of(evaluation), [95, 92, 80, 78, 65, 50] * 5)}
        record_scores(User.objects(username="sq_clerk").first(), evaluation, "org", "支委会", scores)
        expected = {code: recount(code) for code in ("SQ01", "QY01", "JD01")}
    assert expected["SQ01"]["rounds"] == [1, 2, 0, 0] and expected["SQ01"]["rectifications"] == [1, 1]
    assert sum(expected["SQ01"]["grades"].values()) == len(scores) and min(expected["SQ01"]["items"]) > 0

    for browser, code in ((sq_clerk, "SQ01"), (qy_clerk, "QY01"), (login_as("jd_reviewer"), "JD01")):
        page = browser.get(f"/admin/?year={YEAR}").get_data(as_text=True)
        shown, want = charts(page), expected[code]
        assert dict(zip(shown["coverage"]["labels"], shown["coverage"]["values"])) == want["coverage"], code
        for key in ("funnel", "items", "rounds", "rectifications"):
            assert shown[key]["values"] == want[key], (code, key)
        assert {k: n for k, n in zip(shown["grades"]["labels"], shown["grades"]["values"]) if n} == want["grades"], code
        assert "党员承诺 %s / %s 人" % want["members"] in page
        assert "vendor/echarts/echarts.min.js" in page and "dashboard_charts.js" in page
    qy_page = qy_clerk.get("/admin/").get_data(as_text=True)
    assert "幸福里社区党支部" not in qy_page, "a clerk sees nothing of another branch"

    # Every bar opens the list it counts, filtered.
    shown = charts(sq_clerk.get("/admin/").get_data(as_text=True))
    funnel = dict(zip(shown["funnel"]["labels"], zip(shown["funnel"]["values"], shown["funnel"]["links"])))
    for title in ("已公示", "草稿"):
        count, link = funnel[title]
        assert count and rows(sq_clerk, link) == count, title
    listed = sq_clerk.get(html.unescape(funnel["已公示"][1])).get_data(as_text=True)
    groups = json.loads(html.unescape(listed.split('id="filter-groups-data" class="d-none">', 1)[1].split("</div>", 1)[0]))
    assert ["published", "已公示"] in groups["状态"][0]["options"], "the state filter offers states by their title"
    where = listed.split("当前：", 1)[1].split("<", 1)[0]
    assert where == "幸福里社区党支部（SQ01）", "no organisation count that the state filter does not apply to"
    for key in ("rounds", "rectifications"):
        for count, link in zip(shown[key]["values"], shown[key]["links"]):
            assert rows(sq_clerk, link) == count, (key, link)
    assert rows(sq_clerk, shown["grades"]["links"][0]) == 1
    overdue = sq_clerk.get(html.unescape(shown["items"]["links"][0])).get_data(as_text=True)
    assert f"共 {shown['items']['values'][0]} 条" in overdue and "幸福里社区党支部" in overdue
    assert late.member_name in overdue and late.items[0].content in overdue, "whose item, in full"
    coverage = sq_clerk.get(html.unescape(shown["coverage"]["links"][0])).get_data(as_text=True)
    assert "幸福里社区党支部尚未承诺的党员" in coverage

    # The same figures on the printed 统计页, from the branch's rollup without reading a single pledge or summary.
    with recorded() as commands:
        response = sq_clerk.get(f"/admin/statistics/pdf/?year={YEAR}")
    read = {collection for _command, collection, _filter in commands}
    assert "org_year_rollup" in read and not read & {"pledge", "progress", "rectification", "evaluation_score",
                                                     "org_year_summary"}, read
    assert "$in" not in str(commands)
    assert response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=response.data, capture_output=True, check=True).stdout.decode()
    assert f"{YEAR}年度党员公开承诺践诺情况统计" in text and "第1页共1页" in text.replace(" ", "")
    want = expected["SQ01"]
    for label, value in [("第1季度", 1), ("第2季度", 2), ("整改中", 1), ("已销号", 1), ("已逾期未完成", want["items"][0]),
                         ("已公示", want["funnel"][5]), ("幸福里社区党支部", f"{want['coverage']['幸福里社区党支部']}%")]:
        assert re.search(rf"{label}\s+{value}(?!\d)", text), (label, value)
    for grade, n in want["grades"].items():
        assert re.search(rf"{grade}\s+{n}(?!\d)", text), grade


def test_the_admin_home_sends_the_same_commands_and_reads_the_same_bytes_for_60_organisations_as_for_10(seeded, login_as):
    admin = login_as("admin")

    def add_branches(count):
        """Branches under the street, each with copies of SQ01's pledges (to-do lines in every state) this year and a
        year earlier, recounted."""
        with seeded.app_context():
            street, pledges = org("JD01"), list(Pledge._get_collection().find({"organisation": org("SQ01").pk}))
            for _ in range(count):
                branch = make_org(parent=street)
                Pledge._get_collection().insert_many([{**p, "_id": ObjectId(), "organisation": branch.pk, "year": p["year"] - back,
                                                       "org_path": branch.org_path, "items": earlier(p, back)}
                                                      for p in pledges for back in (0, 1)])
                summary.refresh(branch.pk)
            return sum(p["state"] == State.SUBMITTED.value for p in pledges)

    def earlier(pledge, years):
        """The pledge's items with their deadlines as many years earlier: last year's copies are overdue on any day."""
        return [{**i, "deadline": i["deadline"] - dt.timedelta(days=366 * years)} if i.get("deadline") else i
                for i in pledge.get("items", [])]

    def home():
        admin.get("/admin/")
        with recorded() as commands:
            page = admin.get("/admin/").get_data(as_text=True)
        return commands, page

    submitted = add_branches(4)
    small, page = home()
    assert "您可以查看 10 个党组织" in page and "共 10 个党组织，在组织架构中查看全部" not in page
    add_branches(50)
    large, page = home()
    assert "您可以查看 60 个党组织" in page and "共 60 个党组织，在组织架构中查看全部" in page
    assert re.search(rf'<option value="{YEAR - 1}"[^>]*>{YEAR - 1}年</option>', page), "last year still in the selector"
    review = re.search(r"等待我审核的承诺（(\d+)）</h6>\s*<ul class=\"mb-0\">(.*?)</ul>", page, re.S)
    overdue = re.search(r"已过完成时限的承诺事项（(\d+)）", page)
    with seeded.app_context():
        every_year = list(summary.OrgYearSummary.objects)
        assert int(review.group(1)) == sum(s.count(None, (State.SUBMITTED.value,)) for s in every_year) >= 2 * 54 * submitted
        assert int(overdue.group(1)) == sum(s.items_due_before(TODAY) for s in every_year) > 0
    assert review.group(2).count("<li>") == 8
    no_round = page.split("本季度尚未开展督诺：", 1)[1].split("</div>", 1)[0]
    assert no_round.count("、") == 11 and "等 " in no_round and "/admin/chase/" in no_round, "twelve named, all linked"
    assert len(large) == len(small), [c[:2] for c in large]
    assert "org_year_summary" not in {c[1] for c in large}, "the rollups of the top organisation, not a summary each"
    # The rollups hold counts and lists capped at 12 organisations (full at 60, not at 10, as the table of organisations):
    # ~65 bytes more an organisation here, all of it in those lists; a summary an organisation was ~0.9 KB each.
    assert (large.replied - small.replied) / 50 < 100, (small.replied, large.replied)
