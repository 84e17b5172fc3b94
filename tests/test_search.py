"""The search boxes of the member and pledge lists: what a clerk finds, within their scope, by one indexed key."""
import re

import pytest
from bson import ObjectId
from mongoengine import Document
from pymongo.collection import Collection
from pymongo.errors import ConnectionFailure

from adminapp.views.pledge import PledgeView
from documents import Pledge, User
from documents.pledge import PledgeSearch, search_entry
from documents.pledging import save_pledge, template_for
from seed.pledges import _raw
from tests.clock import YEAR
from tests.factories import make_member, org
from tests.test_query_shapes import get_ok, operators, sent  # noqa: F401 - `sent` is a fixture



def rows(html, what):
    return re.findall(rf"/admin/{what}/details/\?id=(\w+)", html)


def searched(sent, browser, what, term, collection=None):  # noqa: F811 - `sent` is the fixture
    """(ids of the rows listed, the filters of the finds sent to the collection searched) for one search."""
    commands, html = sent.during(lambda: get_ok(browser, f"/admin/{what}/?search={term}"))
    finds = [body["filter"] for name, body in commands if name == "find" and body["find"] == (collection or what)]
    return set(rows(html, what)), finds


def test_member_search_by_name_part_and_id_tail_within_scope(sent, login_as, seeded):  # noqa: F811
    with seeded.app_context():
        mine = make_member(name="司马相如", organisation=org("SQ01"))
        theirs = make_member(name="司马相如", organisation=org("QY01"))
    clerk, admin = login_as("sq_clerk"), login_as("admin")
    number = mine.id_number
    for term in ("相如", "司马相如", "马相", "司 马相如", number[-4:], number[-5:], number[-6:], number[-8:], number):
        found, finds = searched(sent, clerk, "member", term)
        assert found == {str(mine.pk)}, term
        assert finds and all("search_keys" in f and "org_path" in f for f in finds), (term, finds)
        assert not {op for f in finds for op in operators(f)} - {"$or", "$regex", "$options"}, finds
    assert searched(sent, admin, "member", "司马相如")[0] == {str(mine.pk), str(theirs.pk)}
    assert searched(sent, clerk, "member", theirs.id_number[-6:])[0] == set(), "another branch's member stays hidden"
    assert searched(sent, clerk, "member", "相司")[0] == set()
    assert "搜索：姓名、身份证号或手机号后4位" in get_ok(clerk, "/admin/member/")


def _pledge(member, organisation, content):
    values, items = _raw(template_for(organisation, member, YEAR), organisation.org_type, YEAR, 2)
    items[0]["content"] = content
    return save_pledge(User.objects(username="admin").first(), organisation=organisation, member=member, year=YEAR,
                       raw_values=values, raw_items=items)


def test_pledge_search_by_content_member_and_organisation_within_scope(sent, login_as, seeded):  # noqa: F811
    with seeded.app_context():
        sq, qy = org("SQ01"), org("QY01")
        member = make_member(name="欧阳晓明", organisation=sq, categories=["无职党员"])
        other = make_member(name="欧阳晓明", organisation=qy, categories=["无职党员"])
        mine = str(_pledge(member, sq, "夏季为环卫工人送清凉绿豆汤").pk)
        theirs = str(_pledge(other, qy, "夏季为环卫工人送清凉绿豆汤").pk)
    clerk, admin = login_as("sq_clerk"), login_as("admin")
    for term in ("送清凉", "环卫工人送清凉绿豆汤", "欧阳晓明", "晓明", "晓"):
        found, finds = searched(sent, clerk, "pledge", term, "pledge_search")
        assert mine in found and theirs not in found, term
        assert finds and all("keys" in f and "org_path" in f and "year" in f for f in finds), (term, finds)
        assert not {op for f in finds for op in operators(f)} - {"$or", "$regex", "$options"}, finds
        reads = searched(sent, clerk, "pledge", term)[1]
        assert reads and all("_id" in f and not operators(f) - {"$or", "$regex", "$options"} for f in reads), reads
    assert {mine, theirs} <= searched(sent, admin, "pledge", "送清凉")[0]
    assert mine in searched(sent, clerk, "pledge", "幸福里社区")[0], "by the organisation's name"
    assert mine not in searched(sent, clerk, "pledge", "清凉送")[0]
    assert "搜索：党员、党组织、承诺内容" in get_ok(clerk, "/admin/pledge/")

    with seeded.app_context():  # a renamed member's pledges are found by the new name only
        member.name = "欧阳晓红"
        member.save_checked(member.version)
    assert mine in searched(sent, clerk, "pledge", "晓红")[0]
    assert mine not in searched(sent, clerk, "pledge", "晓明")[0]

    with seeded.app_context():  # pledges stored before the search entries get them from the one backfill command
        PledgeSearch._get_collection().delete_many({})
    assert mine not in searched(sent, clerk, "pledge", "送清凉")[0]
    result = seeded.test_cli_runner().invoke(args=["backfill-paths"])
    assert result.exit_code == 0 and re.search(r"承诺查找索引 [1-9]\d* 条", result.output), result.output
    assert mine in searched(sent, clerk, "pledge", "送清凉")[0]
    assert "承诺查找索引 0 条" in seeded.test_cli_runner().invoke(args=["backfill-paths"]).output
    with seeded.app_context():
        Pledge.objects(pk=mine).first().delete_checked()  # a deleted draft leaves no search entry behind
        assert PledgeSearch.objects(pk=mine).first() is None
    assert mine not in searched(sent, admin, "pledge", "送清凉")[0]


def test_search_pages_read_one_page_and_an_edit_cut_short_is_found_by_what_is_stored(sent, login_as, seeded,  # noqa: F811
                                                                                       monkeypatch):
    monkeypatch.setattr(PledgeView, "page_size", 5)
    with seeded.app_context():
        sq = org("SQ01")
        pledges = [_pledge(make_member(name=f"翻页{i}", organisation=sq, categories=["无职党员"]), sq, "义务清扫楼道")
                   for i in range(12)]
    clerk = login_as("sq_clerk")
    pages = []
    for page in range(3):
        commands, html = sent.during(lambda page=page: get_ok(clerk, f"/admin/pledge/?search=清扫楼道&page={page}"))
        pages.append(rows(html, "pledge"))
        reads = [body for name, body in commands if name == "find" and body["find"] == "pledge"]
        assert len(reads) <= 5, (page, len(reads))  # the rows of this page only, not those of the pages before
    assert [len(p) for p in pages] == [5, 5, 2] and {r for p in pages for r in p} == {str(p.pk) for p in pledges}

    stored, real_save, real_replace = [], Document.save, Collection.replace_one

    def save(self, *args, **kwargs):
        result = real_save(self, *args, **kwargs)
        stored.append(type(self).__name__)
        return result

    def crash_after_the_pledge(self, *args, **kwargs):
        if self.name == "pledge_search" and "Pledge" in stored:
            raise ConnectionFailure("the app was killed here")
        return real_replace(self, *args, **kwargs)

    monkeypatch.setattr(Document, "save", save)
    monkeypatch.setattr(Collection, "replace_one", crash_after_the_pledge)
    with seeded.app_context():
        edited = Pledge.objects(pk=pledges[0].pk).first()
        values, items = edited.content_snapshot()
        items[0]["content"] = "帮扶困难老人买菜"
        with pytest.raises(ConnectionFailure):
            save_pledge(User.objects(username="admin").first(), organisation=sq, member=edited.member, year=YEAR,
                        raw_values=values, raw_items=items, pledge=edited, expected_version=edited.version)
        assert "帮扶困难老人买菜" in Pledge.objects(pk=edited.pk).first().search_text, "the pledge itself was stored"
    monkeypatch.setattr(Collection, "replace_one", real_replace)
    assert str(edited.pk) in searched(sent, clerk, "pledge", "困难老人")[0], "found by its new content at once"
    assert str(edited.pk) not in searched(sent, clerk, "pledge", "义务清扫")[0], "not by the content it no longer has"


def test_a_search_asks_for_its_page_of_candidates_in_one_reply(sent, login_as, seeded, monkeypatch):  # noqa: F811
    """More candidates than a reply's default batch: no cursor is left for FerretDB to read to its end on closing."""
    monkeypatch.setattr("tests.test_query_shapes.READS", ("find", "getMore", "killCursors"))
    with seeded.app_context():
        model = Pledge._get_collection().find_one({"organisation": org("SQ01").pk, "year": YEAR, "scope": "member"})
        copies = [{**model, "_id": ObjectId(), "member_name": f"清扫{n}", "search_text": f"义务清扫楼道 第{n}栋",
                   "state": "published" if n % 2 else "draft"} for n in range(160)]
        Pledge._get_collection().insert_many(copies)
        PledgeSearch._get_collection().insert_many([search_entry(copy) for copy in copies])
        state = next(f"flt0_{key}" for key, (_i, flt) in PledgeView(Pledge)._filter_args.items()
                     if flt.column == "state")
    clerk, pages = login_as("sq_clerk"), []
    for url in [f"/admin/pledge/?search=清扫楼道&page={n}" for n in range(4)] + [
            f"/admin/pledge/?search=清扫楼道&{state}=published&page={n}" for n in range(2)]:
        commands, html = sent.during(lambda url=url: get_ok(clerk, url))
        pages.append(rows(html, "pledge"))
        candidates = [(name, body) for name, body in commands
                      if "pledge_search" in (body.get(name), body.get("collection"))]
        assert [name for name, _body in candidates] == ["find"] * len(candidates), (url, candidates)
        assert all(body.get("singleBatch") and body.get("limit", 0) <= 200 for _name, body in candidates), url
    published = {str(c["_id"]) for c in copies if c["state"] == "published"}
    assert [len(p) for p in pages] == [50, 50, 50, 10, 50, 30]
    assert {r for p in pages[:4] for r in p} == {str(c["_id"]) for c in copies}
    assert {r for p in pages[4:] for r in p} == published
