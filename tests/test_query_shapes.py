"""Pages send only query shapes FerretDB pushes down: no $in, no sort on a pk look-up, no query per row."""
import datetime as dt
import re

import mongoengine
import pytest
from bson import ObjectId
from pymongo import monitoring

from adminapp.views import forms
from documents import Member, Organisation, Pledge, User, audit, summary
from documents.pledging import save_pledge, template_for
from documents.supervision import LeaderComment
from seed.pledges import _raw
from documents.member import PICK_LIMIT
from tests.clock import YEAR
from tests.factories import make_id_number, make_member, make_org, org

READS = ("find", "count", "aggregate", "distinct", "delete", "update", "findAndModify")


class Recorder(monitoring.CommandListener):
    """Keeps every command sent to the test's database."""

    def __init__(self):
        self.commands = []

    def started(self, event):
        if event.command_name in READS:
            self.commands.append((event.command_name, dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def during(self, call):
        """The commands sent while call() runs, and its result."""
        self.commands.clear()
        result = call()
        return list(self.commands), result


@pytest.fixture
def sent(app):
    """A listener on the test's connection; request it before any fixture that touches the database."""
    recorder = Recorder()
    mongoengine.disconnect_all()
    mongoengine.connect(host=app.config["MONGODB_URI"], uuidRepresentation="standard", tz_aware=False,
                        event_listeners=[recorder])
    return recorder


def operators(value):
    """Every $-operator used anywhere in a filter."""
    if isinstance(value, dict):
        return {k for k in value if k.startswith("$")} | {o for v in value.values() for o in operators(v)}
    if isinstance(value, (list, tuple)):
        return {o for v in value for o in operators(v)}
    return set()


def filters_of(commands):
    found = []
    for name, body in commands:
        if name == "aggregate":
            found += [stage for stage in body.get("pipeline", []) if "$match" in stage]
        elif name in ("update", "delete"):
            found += [u.get("q", {}) for u in body.get("updates", body.get("deletes", []))]
        else:
            found.append(body.get("filter", body.get("query", {})))
    return found


def get_ok(browser, url):
    response = browser.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_a_clerks_member_and_pledge_lists_send_no_in(sent, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = str(org("SQ01").pk)
    for url in ("/admin/member/", f"/admin/member/?flt0_0={sq}", "/admin/pledge/", f"/admin/pledge/?flt0_0={sq}"):
        commands, html = sent.during(lambda: get_ok(clerk, url))
        used = {op for f in filters_of(commands) for op in operators(f)}
        assert not used & {"$in", "$nin"}, (url, used)
        assert "幸福里社区党支部" in html and "城东机械制造" not in html, url
        listed = [body["filter"] for name, body in commands if name == "find" and body["find"] in ("member", "pledge")]
        assert listed and all("org_path" in f for f in listed), (url, listed)


def test_pk_look_ups_send_no_sort(sent, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        draft = Pledge.objects(organisation=sq.pk, state="draft").first()
        member = Member.objects(organisation=sq.pk).first()
    for url in (f"/admin/pledge/details/?id={draft.pk}", f"/admin/pledge/edit/?id={draft.pk}",
                f"/admin/pledge/pdf/?id={draft.pk}", f"/admin/member/details/?id={member.pk}",
                f"/admin/member/edit/?id={member.pk}"):
        commands, response = sent.during(lambda: clerk.get(url))
        assert response.status_code == 200, url
        sorted_ = [body for name, body in commands if body.get("sort")]
        assert not sorted_, (url, sorted_)
        if "/details/" in url:  # the timeline: that record's entries by one indexed equality
            assert any(body.get("filter") == {"record_id": draft.pk if "pledge" in url else member.pk}
                       for name, body in commands if name == "find" and body["find"] == "audit"), url
    act = f"/admin/pledge/act/submit/?ids={draft.pk}"
    commands, response = sent.during(lambda: clerk.post(act, {"ids": str(draft.pk)}, token_from=act))
    assert response.status_code == 302
    assert not [body for name, body in commands if body.get("sort")]
    with seeded.app_context():
        assert Pledge.objects(pk=draft.pk).first().state == "submitted"


def test_member_pickers_send_an_indexed_equality_and_a_page_limit(sent, login_as, seeded):
    with seeded.app_context():
        mine, street = Member.objects(organisation=org("SQ01"), status="在册").first(), org("JD01")
    for username, url in (("sq_clerk", f"/admin/pledge/members.json?q={mine.id_number[-4:]}"),
                          ("qy_clerk", "/admin/pledge/members.json?q=王"),
                          ("admin", f"/admin/pledge/members.json?q=建华&in={street.pk}"),
                          ("sq_clerk", f"/admin/leadercomment/ajax/lookup/?name=member&query={mine.name}&limit=500")):
        browser = login_as(username)
        commands, response = sent.during(lambda: browser.get(url))
        assert response.status_code == 200, url
        finds = [body for name, body in commands if name == "find" and body["find"] == "member"]
        assert finds and all("search_keys" in f["filter"] and 0 < f.get("limit", 0) <= PICK_LIMIT for f in finds), (url, finds)
        assert {op for f in filters_of(commands) for op in operators(f)} <= {"$or", "$regex", "$options"}, url


def _add_members_with_pledges(count, organisation):
    for _ in range(count):
        member = make_member(name="加测党员", organisation=organisation, categories=["无职党员"])
        values, items = _raw(template_for(organisation, member, dt.date.today().year), "社区", dt.date.today().year, 2)
        save_pledge(User.objects(username="sq_clerk").first(), organisation=organisation, member=member,
                    year=dt.date.today().year, raw_values=values, raw_items=items)


def _copy_members_with_pledges(times, organisation):
    """Copies of the organisation's members and their pledges, written directly: only how many rows there are matters."""
    members, pledges = Member._get_collection(), Pledge._get_collection()
    originals = list(members.find({"organisation": organisation.pk}))
    by_member = {p["member"]: p for p in pledges.find({"organisation": organisation.pk})}
    for _ in range(times):
        for original in originals:
            copy = {**original, "_id": ObjectId(), "id_number": make_id_number()}
            members.insert_one(copy)
            pledges.insert_one({**by_member[original["_id"]], "_id": ObjectId(), "member": copy["_id"]})


def test_list_pages_send_as_many_commands_for_200_rows_as_for_20(sent, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        branch = make_org(name="测试楼院党小组", parent=org("SQ01"))
        _add_members_with_pledges(20, branch)
    urls = (f"/admin/member/?org={branch.pk}", f"/admin/pledge/?org={branch.pk}")
    for url in urls:
        get_ok(clerk, url)  # collections and indexes exist from here on
    small = {url: len(sent.during(lambda: get_ok(clerk, url))[0]) for url in urls}
    with seeded.app_context():
        _copy_members_with_pledges(9, branch)
    large = {}
    for url in urls:
        commands, html = sent.during(lambda: get_ok(clerk, url))
        large[url] = len(commands)
        assert html.count("测试楼院党小组") >= 30, url
    assert large == small


def test_the_audit_list_sends_as_many_commands_for_200_entries_as_for_60(sent, login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        actor, members = User.objects(username="admin").first(), list(Member.objects.order_by()[:40])
        pledge = Pledge.objects(organisation=org("SQ01").pk, scope="member").first()

    def entries(count, among):
        with seeded.app_context():
            for n in range(count):  # each names members, as a pledge handed over would
                audit.record(actor, "修改承诺", pledge, {"member": str(members[n % among].pk)},
                             {"member": str(members[(n + 1) % among].pk)})

    url = "/admin/audit/?search=修改承诺"

    def handed_from(html):
        return set(re.findall(r'<th scope="row">党员</th><td><div class="pd-audit-value">([^<]+)</div>', html))

    entries(60, 2)
    get_ok(admin, url)
    small, html = sent.during(lambda: get_ok(admin, url))
    assert {m.name for m in members[:2]} == handed_from(html) - {"—"}
    entries(140, 40)
    large, html = sent.during(lambda: get_ok(admin, url))
    assert {m.name for m in members} <= handed_from(html)
    assert len(large) == len(small), [(n, b.get("find"), b.get("filter")) for n, b in small]
    listed = [body["filter"] for name, body in large if name == "find" and body["find"] == "audit"]
    now = dt.datetime.now()
    assert [(f["month"], f.get("day"), f.get("hour")) for f in listed] == [
        (now.strftime("%Y-%m"), None, now.strftime("%Y-%m-%d %H"))], "this hour's entries, without a probe of the day"

    # The same 200 entries written over three hours of yesterday: the newest page reads the last hour, not the day.
    yesterday = (now - dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    with seeded.app_context():
        collection = audit.AuditEntry._get_collection()
        for n, row in enumerate(collection.find({"action": "修改承诺"}, {"_id": 1})):
            local = yesterday.replace(hour=9 + n // 70, minute=n % 60)
            at = local.astimezone(dt.timezone.utc).replace(tzinfo=None)
            collection.update_one({"_id": row["_id"]}, {"$set": {"at": at, **audit.stamps(local)}})
    month = f"flt0_{month_filter(get_ok(admin, url))}={yesterday:%Y-%m}"
    commands, html = sent.during(lambda: get_ok(admin, f"{url}&{month}"))
    shown = re.findall(r'class="col-at">\s*\d{4}年\d{1,2}月\d{1,2}日 (\d\d:\d\d)\s*</td>', html)
    assert len(shown) == 50 and shown == sorted(shown, reverse=True) and shown[0] == "11:59", shown
    with seeded.app_context():
        read = sum(min(collection.count_documents(body["filter"]), body.get("limit") or 10 ** 6)
                   for name, body in commands if name == "find" and body["find"] == "audit")
    assert read <= 62, read  # the 60 entries of 11 o'clock and one per day looked at


def month_filter(html):
    """The audit list's filter number of 时间 (the month), read from the page as a browser would."""
    return re.search(r'"\\u65f6\\u95f4": \[\{"arg": "(\d+)"', html).group(1)


def test_moving_an_organisation_rewrites_the_paths_below_it(sent, login_as, seeded):
    with seeded.app_context():
        jd, sq = org("JD01"), org("SQ01")
        moved = make_org(name="搬迁支部", parent=jd)
        below = make_org(name="搬迁支部下的小组", parent=moved)
        member = make_member(name="随迁党员", organisation=below, categories=["无职党员"])
        values, items = _raw(template_for(below, member, YEAR), "社区", YEAR, 2)
        pledge = save_pledge(User.objects(username="admin").first(), organisation=below, member=member, year=YEAR,
                             raw_values=values, raw_items=items)
        assert sq.pk not in Member.objects(pk=member.pk).first().org_path
        moved.parent = sq
        moved.save_checked(moved.version)
        path = [jd.pk, sq.pk, moved.pk, below.pk]
        assert Organisation.objects(pk=below.pk).first().org_path == path
        assert Member.objects(pk=member.pk).first().org_path == path
        assert Pledge.objects(pk=pledge.pk).first().org_path == path
    html = get_ok(login_as("sq_clerk"), f"/admin/member/?org={below.pk}")
    assert "随迁党员" in html


def test_renaming_an_organisation_renames_it_in_lists(sent, login_as, seeded):
    with seeded.app_context():
        sq = org("SQ01")
        sq.name = "幸福里社区党总支"
        sq.save_checked(sq.version)
    clerk = login_as("sq_clerk")
    for url in ("/admin/member/", "/admin/pledge/"):
        html = get_ok(clerk, url)
        assert "幸福里社区党总支" in html and "幸福里社区党支部" not in html, url


def _table(html):
    return html[html.index("<tbody"):html.index("</tbody>")]


def test_backfill_gives_old_records_their_paths_and_names(sent, login_as, seeded):
    admin = login_as("admin")
    stamped = _table(get_ok(admin, "/admin/audit/"))
    with seeded.app_context():
        shown = Member.objects(organisation=org("SQ01").pk).first().masked_id
        tail = Member.objects(organisation=org("SQ01").pk).first().id_number[-4:]
        Member._get_collection().update_many({}, {"$unset": {"org_path": 1, "organisation_name": 1, "search_keys": 1}})
        Pledge._get_collection().update_many({}, {"$unset": {"org_path": 1, "member_name": 1}})
        audit.AuditEntry._get_collection().update_many({}, {"$unset": {"names": 1}})  # written before entries had names
    clerk = login_as("sq_clerk")
    assert shown not in get_ok(clerk, "/admin/member/")
    commands, html = sent.during(lambda: get_ok(admin, "/admin/audit/"))
    assert _table(html) == stamped and any(body["find"] == "member" for name, body in commands if name == "find")
    result = seeded.test_cli_runner().invoke(args=["backfill-paths"])
    assert result.exit_code == 0 and "已补全" in result.output, result.output
    assert "第 1/7 步：组织路径" in result.output and "第 7/7 步：操作日志中的名称" in result.output, result.output
    assert re.search(r"党员查找索引：已写入 (\d+) / \1 条\n  党员查找索引：补全 \1 条，用时 \d+ 秒", result.output)
    assert shown in get_ok(clerk, "/admin/member/")
    assert shown in get_ok(clerk, f"/admin/pledge/members.json?q={tail}")
    commands, html = sent.during(lambda: get_ok(admin, "/admin/audit/"))
    assert _table(html) == stamped, "the old entries read as before, with the names of today"
    assert not [body for name, body in commands if name == "find" and body["find"] in ("member", "organisation")
                and "_id" in body["filter"]], "and a page of them looks no record up"
    with seeded.app_context():
        sq = org("SQ01")
        pledge = Pledge.objects(organisation=sq.pk, scope="member").first()
        assert pledge.org_path == [org("JD01").pk, sq.pk] and pledge.member_name == pledge.member.name
    again = seeded.test_cli_runner().invoke(args=["backfill-paths"])
    assert "组织路径 0 条，名称副本 0 条，党员查找索引 0 条" in again.output and "操作日志中的名称 0 条" in again.output


def _field(html, name):
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)


def test_member_pickers_are_bounded_and_keep_the_current_choice(sent, login_as, seeded, monkeypatch):
    monkeypatch.setattr(forms, "PICK_LIMIT", 5)
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
        assert Member.objects(org_path=sq.pk).count() > 6
        last = list(Member.objects(org_path=sq.pk))[-1]
        comment = LeaderComment(organisation=sq, member=last, commenter="书记", on=dt.date.today(), method="会议点评",
                                content="带头作用明显")
        comment.save_checked(None)
        for n in range(7):
            make_member(name=f"重名党员{n}", organisation=sq)
    new = get_ok(clerk, "/admin/leadercomment/new/")
    assert "select2-ajax" in _field(new, "member") and "<option" not in new.split('name="member"', 1)[1][:200]
    found = clerk.get("/admin/leadercomment/ajax/lookup/", query_string={"name": "member", "query": "重名"}).get_json()
    assert len(found) == 5
    assert str(last.pk) in _field(get_ok(clerk, f"/admin/leadercomment/edit/?id={comment.pk}"), "member")


def _rows(html, endpoint):
    return re.findall(rf"/admin/{endpoint}/details/\?id=(\w+)", html)


def test_big_lists_read_one_organisation_per_page(sent, login_as, seeded):
    reviewer = login_as("jd_reviewer")
    with seeded.app_context():
        jd, jg, lx, sq = org("JD01").pk, org("JG01").pk, org("LX01").pk, org("SQ01").pk
        owners = {str(m.pk): m.organisation.pk for m in Member.objects(org_path=jd)}
        active = Member.objects(organisation=sq, status="在册").count()
    commands, html = sent.during(lambda: get_ok(reviewer, "/admin/member/"))
    finds = [body["filter"] for name, body in commands if name == "find" and body["find"] == "member"]
    assert finds and all(f.get("organisation") == jg for f in finds), finds
    assert not [name for name, _body in commands if name in ("count", "aggregate")]
    assert not {op for f in filters_of(commands) for op in operators(f)}, filters_of(commands)
    assert _rows(html, "member") and {owners[i] for i in _rows(html, "member")} == {jg}
    assert "城东机械制造有限公司党支部（QY01）" in html, "the other branches are one choice away"
    following = re.search(r'href="([^"]+)">下一个组织', html).group(1).replace("&amp;", "&")
    assert {owners[i] for i in _rows(get_ok(reviewer, following), "member")} == {lx}

    commands, html = sent.during(lambda: get_ok(reviewer, f"/admin/pledge/?org={sq}"))
    finds = [body["filter"] for name, body in commands if name == "find" and body["find"] == "pledge"]
    assert finds and all(f == {"org_path": jd, "organisation": sq, "year": dt.date.today().year, "page_no": 0}
                                for f in finds), finds
    assert _rows(html, "pledge")

    commands, html = sent.during(lambda: get_ok(reviewer, "/admin/orgtree/"))
    assert not [name for name, _body in commands if name in ("count", "aggregate")]
    assert f"党员 {active} 名" in html


def test_deadlines_closings_and_rounds_are_found_by_equality(sent, seeded):
    from documents import calendar, supervision
    with seeded.app_context():
        sq, jd = org("SQ01").pk, org("JD01").pk
        sent.commands.clear()
        calendar.deadline_for(sq, YEAR)
        calendar.is_closed(sq, YEAR)
        missing = supervision.rounds_missing([sq, jd])
        used = {op for f in filters_of(sent.commands) for op in operators(f)}
    assert not used & {"$in", "$nin"}, used
    assert set(missing) <= {sq, jd}


def test_coverage_lists_the_organisations_without_sorting_them_in_the_database(sent, login_as, seeded, monkeypatch):
    with seeded.app_context():
        jd, sq, qy = org("JD01").pk, org("SQ01").pk, org("QY01").pk
        unpledged = [m.name for m in Member.objects(organisation=sq, status="在册") if not set(m.categories) &
                     summary.OPTIONAL_CATEGORIES and not Pledge.objects(organisation=sq, member=m, year=YEAR).first()]
    built, make = [], Member._from_son.__func__
    monkeypatch.setattr(Member, "_from_son", classmethod(lambda cls, son, *a, **k: built.append(son.get("_id")) or
                                                         make(cls, son, *a, **k)))
    reviewer = login_as("jd_reviewer")
    commands, html = sent.during(lambda: get_ok(reviewer, "/admin/pledge/coverage/"))
    assert not [body for name, body in commands if body.get("sort")], "FerretDB sorts every organisation it read"
    assert not {op for f in filters_of(commands) for op in operators(f)}, filters_of(commands)
    assert f'<option value="{jd}" selected>' in html and "幸福里社区党支部（SQ01）" in html
    assert "尚未承诺的党组织" in html
    html = get_ok(reviewer, f"/admin/pledge/coverage/?organisation={sq}")
    assert f'<option value="{sq}" selected>' in html and "幸福里社区党支部尚未承诺的党员" in html
    assert unpledged and all(name in html for name in unpledged)
    assert built == [], "members are named from the stored rows: a community's member documents cost more than the page"
    assert login_as("sq_clerk").get(f"/admin/pledge/coverage/?organisation={qy}").status_code == 404


def test_reading_without_dereferencing_copies_the_fields_once_and_still_sends_no_query_per_reference(sent, seeded):
    with seeded.app_context():
        sq = org("SQ01")
        sent.commands.clear()
        members = list(Member.objects(organisation=sq.pk).no_dereference())
        assert len(members) > 1 and len({id(m._fields) for m in members}) == 1, "one shared copy, not one per member"
        assert [m.organisation for m in members] and all(not isinstance(m.organisation, Organisation) for m in members)
        assert [name for name, _body in sent.commands] == ["find"], "no query per reference"
        assert Member.objects(pk=members[0].pk).first().organisation.name == sq.name, "plain reads still dereference"


def test_the_edit_page_reads_members_only_for_a_member_field_and_as_often_for_200_as_for_20(sent, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        branch = make_org(name="测试楼院党小组", parent=org("SQ01"))
        _add_members_with_pledges(20, branch)
        pledge = Pledge.objects(organisation=branch.pk).first()
    url = f"/admin/pledge/edit/?id={pledge.pk}"
    get_ok(clerk, url)
    small, html = sent.during(lambda: get_ok(clerk, url))
    assert "承诺事项" in html and "加测党员" in html
    with seeded.app_context():
        _copy_members_with_pledges(9, branch)
    large, html = sent.during(lambda: get_ok(clerk, url))
    assert len(large) == len(small), [(n, b.get("find"), b.get("filter")) for n, b in large]
    assert all("_id" in b["filter"] for n, b in large if n == "find"), [(b["find"], b["filter"]) for n, b in large]

    # A template version with a member field offers the names of the branch's members, read by indexed equalities.
    with seeded.app_context():
        pledge.template._get_collection().update_one({"_id": pledge.template.pk}, {"$push": {"fields": {
            "key": "jiedui", "label": "结对党员", "type": "member", "section": pledge.template.fields[0].section}}})
    commands, html = sent.during(lambda: get_ok(clerk, url))
    assert "结对党员" in html and '<option value="加测党员">加测党员</option>' in html
    read = [b["filter"] for n, b in commands if n == "find" and b["find"] == "member" and "_id" not in b["filter"]]
    assert read == [{"organisation": branch.pk}, {"residential_org": branch.pk}], read


def test_the_account_list_reads_the_login_attempts_once_for_5_accounts_as_for_25(sent, login_as, seeded):
    from documents.user import LoginAttempt
    admin = login_as("admin")
    with seeded.app_context():
        for _ in range(seeded.config["LOGIN_MAX_FAILURES"]):
            LoginAttempt(username="qy_clerk", address="203.0.113.9").save()
    few, html = sent.during(lambda: get_ok(admin, "/admin/user/"))
    assert html.count("已锁定") == 1
    with seeded.app_context():
        for n in range(20):
            User(username=f"clerk{n}", display_name=f"录入员{n}", role="clerk", organisation=org("SQ01"),
                 password_hash="-").save()
    many, html = sent.during(lambda: get_ok(admin, "/admin/user/"))
    assert "录入员19" in html and html.count("已锁定") == 1
    assert len(many) == len(few), [(n, b.get("find"), b.get("filter")) for n, b in many]
