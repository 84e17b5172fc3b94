"""Big lists read little: a deep page of an organisation's pledges is one more equality on its stored page number,
never a skip, and the member list reads one roster count per organisation, not one per organisation-year."""
import html as html_module
import re
import threading

import pytest

from adminapp.security import handler_hash
from adminapp.views.pledge import PledgeView
from documents import AuditEntry, Member, Organisation, Pledge, idcard, summary
from documents import pledge as pledge_module
from documents.store.claims import Ticket, take_numbers
from tests.clock import YEAR
from tests.factories import make_org, org
from tests.test_query_shapes import _add_members_with_pledges, get_ok, sent  # noqa: F401 - sent is a fixture

ROWS = 5


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of five rows, so that a few pledges fill several pages."""
    monkeypatch.setattr(pledge_module, "PAGE_ROWS", ROWS)
    monkeypatch.setattr(PledgeView, "page_size", ROWS)


def _rows(html):
    return re.findall(r"/admin/pledge/details/\?id=(\w+)", html)


def _pledge_finds(commands):
    return [body for name, body in commands if name == "find" and body["find"] == "pledge"]


def test_a_deep_page_is_one_equality_and_keeps_its_rows_when_others_are_deleted(sent, small_pages, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01").pk
        branch = make_org(name="分页测试党小组", parent=org("SQ01"))
        _add_members_with_pledges(12, branch)
        made = [str(pk) for pk in sorted(Pledge.objects(organisation=branch.pk).scalar("pk"))]
    url = f"/admin/pledge/?org={branch.pk}"
    commands, html = sent.during(lambda: get_ok(clerk, url + "&page=2"))
    finds = _pledge_finds(commands)
    assert [f["filter"] for f in finds] == [{"org_path": sq, "organisation": branch.pk, "year": YEAR, "page_no": 2}]
    assert not [b for b in finds if b.get("skip") or b.get("sort") or b.get("limit")], finds
    assert _rows(html) == made[10:], "the last page holds the last two pledges, in the order they were made"
    assert 'href="/admin/pledge/?org=' in html and ">3</a>" in html, "numbered pages 1-3"
    assert _rows(get_ok(clerk, url)) == made[:5] and _rows(get_ok(clerk, url + "&page=1")) == made[5:10]

    response = clerk.post("/admin/pledge/delete/", {"id": made[1], "url": url}, token_from=url)
    assert response.status_code == 302
    assert _rows(get_ok(clerk, url)) == made[:1] + made[2:5]
    html = get_ok(clerk, url + "&page=1")
    assert _rows(html) == made[5:10], "a deletion does not move the pledges of later pages"
    assert re.search(r"分页测试党小组（\w+）（11）", html) and ">3</a>" in html, "the count drops, the pages stay"

    # Sorted by a column or narrowed by another filter: FerretDB skips, as before, and the rows are still right.
    commands, html = sent.during(lambda: get_ok(clerk, url + "&sort=5&page=1"))
    assert [b.get("skip") for b in _pledge_finds(commands)] == [ROWS]
    assert len(_rows(html)) == ROWS and set(_rows(html)) <= set(made)
    state = next(i for i, f in enumerate(PledgeView.column_filters) if f.column == "state")
    commands, html = sent.during(lambda: get_ok(clerk, url + f"&flt0_{state}=draft&page=2"))
    assert "page_no" not in _pledge_finds(commands)[0]["filter"]
    assert len(_rows(html)) == 1 and set(_rows(html)) <= set(made), "the 11th of the 11 drafts left"


def test_backfill_numbers_old_pledges_and_their_lists_page_by_skipping_until_then(sent, small_pages, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        branch = make_org(name="补号测试党小组", parent=org("SQ01"))
        _add_members_with_pledges(7, branch)
        made = [str(pk) for pk in sorted(Pledge.objects(organisation=branch.pk).scalar("pk"))]
        Pledge._get_collection().update_many({}, {"$unset": {"slot": 1, "page_no": 1}})
        Ticket._get_collection().delete_many({})  # as before pledges took numbers
        summary.refresh(branch.pk)
    url = f"/admin/pledge/?org={branch.pk}&page=1"
    commands, html = sent.during(lambda: get_ok(clerk, url))
    assert [b.get("skip") for b in _pledge_finds(commands)] == [ROWS] and len(_rows(html)) == 2
    result = seeded.test_cli_runner().invoke(args=["backfill-paths"])
    assert result.exit_code == 0 and "承诺列表页码" in result.output, result.output
    commands, html = sent.during(lambda: get_ok(clerk, url))
    assert _pledge_finds(commands)[0]["filter"]["page_no"] == 1 and _rows(html) == made[5:]
    assert "承诺列表页码 0 条" in seeded.test_cli_runner().invoke(args=["backfill-paths"]).output


def test_numbers_taken_at_once_are_never_the_same(seeded):
    taken = []

    def take():
        with seeded.app_context():
            for _ in range(5):
                taken.extend(take_numbers("test:race"))

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(30))
    with seeded.app_context():
        Ticket._get_collection().delete_one({"_id": "test:race:next"})  # a hint lost: the numbers taken still count
        assert take_numbers("test:race", 2) == [30, 31]


def test_the_member_list_reads_one_roster_count_per_organisation(sent, login_as, seeded):
    reviewer = login_as("jd_reviewer")
    with seeded.app_context():
        jd = org("JD01").pk
        orgs = list(Organisation.objects(org_path=jd))
        rosters = {o.pk: Member.objects(organisation=o.pk).count() for o in orgs}
        assert summary.OrgYearCount.objects(org_path=jd).count() > len(orgs), "some organisations have several years"
    commands, html = sent.during(lambda: get_ok(reviewer, "/admin/member/"))
    counts = [body["filter"] for name, body in commands if name == "find" and body["find"] == "org_year_count"]
    assert counts == [{"org_path": jd, "latest": True}]
    for o in orgs:
        assert f"{o.name}（{o.code}）（{rosters[o.pk]}）" in html, o.name


ROW_RE = re.compile(r'name="rowid"[^>]*value="(\w+)".*?</tr>', re.S)
CELL_RE = re.compile(r'<td class="col-(\w+)">(.*?)</td>', re.S)
CONFIRM = "return faHelpers.safeConfirm('你确定要删除这条记录吗？');"


def _cells(html):
    """{record id: {column: text}} of a list page's rows."""
    return {m.group(1): {c: html_module.unescape(v).strip() for c, v in CELL_RE.findall(m.group(0))} for m in ROW_RE.finditer(html)}


def test_list_rows_show_the_stored_columns_with_their_links_and_delete_one_pledge_after_a_confirmation(
        sent, login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        branch = org("SQ01")
        _add_members_with_pledges(1, branch)
        draft = Pledge.objects(organisation=branch.pk, member_name="加测党员").first()
        Pledge._get_collection().update_one({"_id": draft.pk}, {"$set": {"items.0.content": "长" * 40 + "<b>"}})
        pledges = {str(p.pk): p for p in Pledge.objects(organisation=branch.pk, year=YEAR)}
        members = {str(m.pk): m for m in Member.objects(organisation=branch.pk)}
    url = f"/admin/pledge/?org={branch.pk}"
    commands, html = sent.during(lambda: get_ok(clerk, url))
    shown = _cells(html)
    assert set(shown) == set(pledges)
    for pk, pledge in pledges.items():
        first = pledge.first_item
        assert shown[pk] == {"organisation_name": pledge.organisation_name, "member_name": pledge.member_name or "",
                             "year": str(YEAR), "scope": "党员" if pledge.scope == "member" else "党组织",
                             "template_name": pledge.template_name, "state": pledge.state_title,
                             "first_item": first[:30] + "…" if len(first) > 30 else first}, pk
        assert f'href="/admin/pledge/details/?id={pk}&amp;url=' in html and f'href="/admin/pledge/edit/?id={pk}&amp;' in html
    assert shown[str(draft.pk)]["first_item"] == "长" * 30 + "…" and "<b>" not in html
    finds = _pledge_finds(commands)
    assert len(finds) == 1 and "values" not in finds[0]["projection"] and "items" in finds[0]["projection"], finds

    # One delete form for the page: each row's button sends it with its pledge, after the browser asks to confirm.
    button = re.search(rf'<button type="submit" form="row-delete" name="id" value="{draft.pk}"[^>]*>', html).group(0)
    assert f'onclick="{CONFIRM}"' in button and html.count('id="row-delete"') == 1
    response = clerk.get(url)
    assert handler_hash(CONFIRM) in response.headers["Content-Security-Policy"], "the confirmation may run"
    form = re.search(r'<form id="row-delete" method="POST" action="([^"]+)".*?</form>', html, re.S)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    assert form.group(1) == "/admin/pledge/delete/" and set(fields) == {"url", "csrf_token"}
    refused = clerk.client.post(form.group(1), data={"id": str(draft.pk), "url": html_module.unescape(fields["url"])})
    assert refused.status_code == 400, "no CSRF token, no deletion"
    response = clerk.client.post(form.group(1), data={"id": str(draft.pk), **{k: html_module.unescape(v)
                                                                               for k, v in fields.items()}})
    assert response.status_code == 302 and response.headers["Location"].startswith(url), "back to the same list"
    with seeded.app_context():
        assert Pledge.objects(pk=draft.pk).first() is None
        assert AuditEntry.objects(record_id=draft.pk, action="删除").count() == 1
    assert str(draft.pk) not in _cells(get_ok(clerk, url))

    # The member list: the same columns as the roster documents give, read as stored.
    commands, html = sent.during(lambda: get_ok(clerk, f"/admin/member/?org={branch.pk}"))
    shown = _cells(html)
    assert shown and set(shown) <= set(members)
    for pk, cells in shown.items():
        m = members[pk]
        assert cells == {"name": m.name, "gender": m.gender or "", "id_number": idcard.mask(m.id_number),
                         "organisation_name": m.organisation_name, "post": m.post or "",
                         "categories": "、".join(m.categories), "status": m.status}, pk
    finds = [body for name, body in commands if name == "find" and body["find"] == "member"]
    assert "phone" not in finds[-1]["projection"], finds
