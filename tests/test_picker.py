"""Pickers that scale: members found by what the clerk types, within the clerk's organisations, a page at most."""
import html as html_lib
import re

from documents import Member, Organisation
from documents.member import PICK_LIMIT
from tests.clock import YEAR
from tests.factories import make_member, org


def offered(clerk, **args):
    return clerk.get("/admin/pledge/members.json", query_string=args).get_json()["results"]


def test_pledge_member_picker_searches_name_and_id_tail_within_scope(login_as, seeded):
    with seeded.app_context():
        sq = org("SQ01")
        mine = Member.objects(organisation=sq, status="在册").first()
        qy = org("QY01")
        theirs = Member.objects(organisation=qy, status="在册", residential_org=None).first()
        for n in range(PICK_LIMIT + 5):
            make_member(name=f"测试重名{n:02d}")
        abdu = make_member(name="阿卜杜·热合曼")
        hidden = [o.name for o in Organisation.objects if o.code != "SQ01"]
    clerk = login_as("sq_clerk")
    by_tail = offered(clerk, q=mine.id_number[-4:])
    assert f"{mine.pk}:{sq.pk}" in [r["value"] for r in by_tail]
    assert any(mine.name in r["label"] and mine.masked_id in r["label"] and "幸福里" in r["label"] for r in by_tail)
    assert offered(clerk, q=theirs.id_number[-4:]) == []
    assert all(theirs.masked_id not in r["label"] for r in offered(clerk, q=theirs.name))
    for typed in ("阿卜杜•热", "阿卜杜・热合曼", "热合", "卜杜", "　阿卜杜‧热合曼　"):
        assert [r["value"] for r in offered(clerk, q=typed)] == [f"{abdu.pk}:{sq.pk}"], typed
    many = offered(clerk, q="测试重名")
    assert len(many) == PICK_LIMIT
    for prefix in "王李张刘陈杨赵黄周吴":
        labels = [r["label"] for r in offered(clerk, q=prefix)]
        leaked = [label for label in labels if any(name in label for name in hidden)]
        assert not leaked, f"the picker offers organisations the clerk cannot open: {leaked[:3]}"
    # The page works without script: a search, a list of matches, the next step for the chosen one.
    page = html_lib.unescape(clerk.get("/admin/pledge/new/", query_string={"q": "测试重名", "find": "1"}).get_data(as_text=True))
    assert f"只显示前 {PICK_LIMIT} 个匹配" in page and len(re.findall(r'<option value="[0-9a-f]{24}:', page)) == PICK_LIMIT
    value = re.search(r'<option value="([0-9a-f]{24}:[0-9a-f]{24})"', page)[1]
    assert "测试重名" in clerk.get("/admin/pledge/new/", query_string={"pick": value, "year": str(YEAR)}).get_data(as_text=True)
    assert clerk.get("/admin/pledge/members.json", query_string={"q": "王", "in": str(qy.pk)}).status_code == 404
    admin = login_as("admin")
    assert [r["value"] for r in offered(admin, q=theirs.id_number[-6:], **{"in": str(qy.pk)})] == [f"{theirs.pk}:{qy.pk}"]

