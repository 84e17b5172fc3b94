"""审诺 hints: each fires on a crafted pledge and points at its item; a good pledge gets none; nothing blocks."""
import re

from documents import User
from documents.cycle import transition
from documents.pledging import save_pledge
from documents.review_hints import hints
from tests.clock import YEAR
from tests.factories import make_member, org
from tests import test_query_shapes
from tests.test_query_shapes import operators

sent = test_query_shapes.sent  # the database command recorder, as a fixture of this module

VALUES = {"louyuan": "8号楼", "post_duty": "职工", "political": "坚决拥护"}
SHARED = "协助清理楼道杂物堆放，每季度一次"
COPIED = "每月为3户困难群众上门服务一次"


def user(name):
    return User.objects(username=name).first()


def item(content, expected="走访满意率达到90%", deadline=f"{YEAR}-12-31"):
    return {"content": content, "owner": "本人", "deadline": deadline, "expected": expected}


def pledge_of(name, items):
    sq = org("SQ01")
    return save_pledge(user("sq_clerk"), organisation=sq, member=make_member(name=name, organisation=sq), year=YEAR,
                       raw_values=VALUES, raw_items=items)


def crafted_scene():
    """Two submitted pledges in SQ01: 提示党员's (a vague item with no deadline, one copied from last year, one that
    韩梅 and 钱进 also wrote, a concrete one) and 周全's good one; return both."""
    for name in ("韩梅", "钱进"):
        pledge_of(name, [item(SHARED), item(f"{name}每周陪护2位独居老人就医")])
    member = make_member(name="提示党员", organisation=org("SQ01"))
    for year, items in ((YEAR - 1, [item(COPIED), item("为8号楼安装12盏声控灯")]),
                        (YEAR, [item("努力做好本职工作", expected="群众满意", deadline=""), item(COPIED),
                                item(SHARED), item("每月15日为楼院12户居民代缴水电费")])):
        crafted = save_pledge(user("sq_clerk"), organisation=org("SQ01"), member=member, year=year,
                              raw_values=VALUES, raw_items=items)
    good = pledge_of("周全", [item("每月15日为8号楼12户居民代缴水电费"), item("年底前调解邻里纠纷5起")])
    for pledge in (crafted, good):
        transition(user("sq_clerk"), pledge.pk, "submit")
    return crafted, good


def test_hints_point_at_their_items_and_never_block(sent, seeded, login_as):
    with seeded.app_context():
        crafted, good = crafted_scene()

        commands, found = sent.during(lambda: [(h.where, h.text) for h in hints(crafted)])
        reads = [body for name, body in commands if name == "find"]
        assert all(not operators(body["filter"]) for body in reads), reads  # equalities only: no $in, no range
        assert {tuple(sorted(body["filter"])) for body in reads if body["find"] == "pledge"} == {
            ("organisation", "year"), ("member", "year")}
        assert ("第1条", "没有填写完成时限") in found
        assert ("第1条", "预期效果“群众满意”没有可衡量的数字或标准") in found
        assert any(w == "第1条" and "“努力”" in t and "没有数字也没有具体对象" in t for w, t in found)
        assert ("第2条", f"与{YEAR - 1}年承诺的第1条一字不差，是否照搬了去年的承诺？") in found
        assert any(w == "第3条" and "另有 2 份" in t and "韩梅" in t and "钱进" in t for w, t in found)
        assert not [w for w, _t in found if w not in ("第1条", "第2条", "第3条")]
        assert hints(good) == []
        good.items = good.items[:1]
        assert [(h.where, h.text) for h in hints(good)] == [("整份承诺", "只有 1 条承诺事项，模板要求至少 2 条")]

    page = login_as("sq_reviewer").get(f"/admin/pledge/act/approve/?ids={crafted.pk}").get_data(as_text=True)
    panel = page.split('id="review-hints"')[1].split("</ul>")[0]
    assert '<a href="#item-1">第1条</a>：没有填写完成时限' in panel and '<a href="#item-3">第3条</a>' in panel
    assert 'id="item-3" class="table-warning"' in page and "审诺要点（逐项确认）" in page
    assert re.search(r'<button class="btn btn-primary" type="submit">确认审核通过</button>', page)
    clean = login_as("sq_reviewer").get(f"/admin/pledge/act/approve/?ids={good.pk}").get_data(as_text=True)
    assert "没有发现需要留意的地方" in clean
