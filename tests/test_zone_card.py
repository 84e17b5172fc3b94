"""党员责任区 and the three cards: coverage naming exactly who has no duty, the log, the board and the cards printed."""
import re

from documents import Member
from documents.activity import Assessment, scheme_for
from documents.card import MemberCard
from documents.zone import ResponsibilityZone, ZoneLog
from exporters import archive
from tests.clock import TODAY, YEAR
from tests.factories import org
from tests.htmlform import as_multidict
from tests.test_exports import pdf_text
from tests.test_modelpost import send


def party_members():
    return sorted((m for m in Member.objects(organisation=org("SQ01"), status="在册")
                   if not {"入党积极分子", "非党骨干"} & set(m.categories)), key=lambda m: m.name)


def test_zone_coverage_log_assessment_and_board(seeded, login_as):
    with seeded.app_context():
        scheme = scheme_for("zone")
        members = party_members()
        head, helper = members[0], members[1]
    clerk = login_as("sq_clerk")
    new = clerk.get("/admin/zone/new/").get_data(as_text=True)
    assert "党员责任区（全员覆盖、不留空白）" in new and "党员示范岗（六个标准）" not in new
    form = as_multidict([("organisation", str(org("SQ01").pk)), ("scheme", str(scheme.pk)), ("section", "第一网格"),
                         ("name", "幸福里1-3号楼"), ("head", str(head.pk)), ("tasks", "走访住户、收集意见、调解邻里纠纷"),
                         ("duties-0-member", str(head.pk)), ("duties-0-duty", "1号楼住户走访和意见收集"),
                         ("duties-1-member", str(helper.pk)), ("duties-1-duty", "2号楼、3号楼独居老人帮扶")])
    response = send(clerk, "/admin/zone/new/", form)
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    with seeded.app_context():
        zone = ResponsibilityZone.objects(name="幸福里1-3号楼").get()
    page = clerk.get("/admin/zone/coverage/").get_data(as_text=True)
    listed = re.findall(r"<li>([^<·]+?)(?: · [^<]*)?</li>", page.split('class="pd-uncovered"')[1].split("</ul>")[0])
    assert sorted(listed) == [m.name for m in members[2:]] and len(listed) == len(members) - 2
    details = f"/admin/zone/details/?id={zone.pk}"
    clerk.post(f"/admin/zone/log/?id={zone.pk}", {"on": TODAY.isoformat(), "kind": "工作日志", "author": head.name,
                                                  "text": "走访1号楼12户，收集意见3条"}, token_from=details)
    clerk.post(f"/admin/zone/assess/?id={zone.pk}", {"assessed_on": TODAY.isoformat(), "year": str(YEAR), "number": "1",
                                                     **{f"score_org_{i}": "88" for i in range(3)}}, token_from=details)
    page = clerk.get(details).get_data(as_text=True)
    assert "走访1号楼12户" in page and "合格" in page
    with seeded.app_context():
        assert ZoneLog.objects(zone=zone.pk).count() == 1 and Assessment.objects(zone=zone.pk).first().total == 88
    board = pdf_text(clerk.get(f"/admin/zone/board/?id={zone.pk}").data)
    assert head.name in board and "2号楼、3号楼独居老人帮扶" in board and "走访住户、收集意见" in board
    other = login_as("qy_clerk")
    for url in (details, f"/admin/zone/board/?id={zone.pk}", f"/admin/zone/coverage/?org={org('SQ01').pk}"):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/admin/zone/log/?id={zone.pk}", {"text": "越权"}, token_from="/admin/").status_code == 404
    assert "党员责任区 1 个" in clerk.get("/admin/").get_data(as_text=True)
    assert "党员责任区 1 个" in other.get("/admin/").get_data(as_text=True)  # its own demo zone only
    with seeded.app_context():
        names = [archive.render_task(t)[0] for t in archive.archive_tasks(org("SQ01"), YEAR, "") if t[0] == "zone"]
        assert names == [f"责任标牌/SQ01_幸福里1-3号楼_{zone.pk}.pdf"]


def test_three_cards_in_three_steps_printed_and_archived(seeded, login_as, tmp_path):
    with seeded.app_context():
        scheme = scheme_for("card")
        member = party_members()[0]
    clerk = login_as("sq_clerk")
    fields = {"organisation": str(org("SQ01").pk), "member": str(member.pk), "year": str(YEAR), "scheme": str(scheme.pk),
              "v_post": "社区网格员", "v_five_good": "工作好", "fixed": "每周走访网格内住户不少于10户"}
    page = send(clerk, "/admin/membercard/new/", as_multidict(fields)).get_data(as_text=True)
    assert "组织定标准须在党员提出标准之后" in page
    fields.update({"proposed": "每周走访网格内住户", "proposed_on": f"{YEAR}-03-01", "public_views": "希望晚上也能找到人",
                   "fixed_on": f"{YEAR}-03-10", "posted_on": f"{YEAR}-03-12", "records-0-on": f"{YEAR}-06-30",
                   "records-0-text": "上半年走访住户286户次", "self_view": "基本达到标准", "public_view": "群众满意",
                   "org_view": "达标", "grade": "优秀", "evaluated_on": f"{YEAR}-12-20"})
    response = send(clerk, "/admin/membercard/new/", as_multidict(fields))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    with seeded.app_context():
        card = MemberCard.objects(member=member.pk).get()
        assert card.values == {"post": "社区网格员", "five_good": ["工作好"]}
    text = pdf_text(clerk.get(f"/admin/membercard/print/?id={card.pk}").data)
    for expected in ("定标公示卡", "对标记录卡", "达标评议卡", member.name, "每周走访网格内住户不少于10户",
                     "希望晚上也能找到人", f"{YEAR}年3月12日", "上半年走访住户286户次", "优秀", "社区网格员"):
        assert expected in text, expected
    result = seeded.test_cli_runner().invoke(args=["export", "activity", "card", str(card.pk), "-o",
                                                   str(tmp_path / "cards.pdf")])
    assert result.exit_code == 0 and "达标评议卡" in pdf_text((tmp_path / "cards.pdf").read_bytes())
    other = login_as("qy_clerk")
    assert other.get(f"/admin/membercard/details/?id={card.pk}").status_code == 404
    assert other.get(f"/admin/membercard/print/?id={card.pk}").status_code == 404
    with seeded.app_context():
        names = [archive.render_task(t)[0] for t in archive.archive_tasks(org("SQ01"), YEAR, "") if t[0] == "card"]
        assert names == [f"创建卡/SQ01_{member.name}_{YEAR}_{card.pk}.pdf"]
        assert not [t for t in archive.archive_tasks(org("QY01"), YEAR, "") if t[0] == "card"]
