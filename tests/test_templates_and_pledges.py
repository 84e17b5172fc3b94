"""Templates shaped in the admin, pledges made from them, versions, validation and coverage."""
import re

import pytest

from documents import AuditEntry, Member, Pledge, PledgeTemplate
from documents.summary import unpledged_members
from tests.clock import YEAR
from tests.factories import make_member, org
from tests.htmlform import as_multidict, form_data

COMMUNITY_MEMBER = "社区党员公开承诺"


def current_template(name):
    return PledgeTemplate.objects(name=name, current=True).first()


def add_field_in_admin(admin, template, **field):
    """Open the template's edit form, add one field to the end of its field list, submit."""
    url = f"/admin/template/edit/?id={template.pk}"
    pairs = [(k, v) for k, v in form_data(admin.get(url).get_data(as_text=True)) if k != "search"]
    index = len(template.fields)
    for key, value in field.items():
        pairs.append((f"fields-{index}-{key}", value))
    response = admin.client.post(url, data=as_multidict(pairs))
    return response


def member_pledge_form(clerk, member, organisation, year=YEAR):
    url = f"/admin/pledge/new/?organisation={organisation.pk}&member={member.pk}&year={year}"
    return url, clerk.get(url).get_data(as_text=True)


def submit(clerk, url, html, overrides, items):
    pairs = [(k, v) for k, v in form_data(html) if not k.startswith("items-") and k not in overrides]
    pairs += list(overrides.items())
    for i, item in enumerate(items):
        pairs += [(f"items-{i}-{k}", v) for k, v in item.items()]
    return clerk.client.post(url, data=as_multidict(pairs))


ITEM = {"content": "为3号楼独居老人每周上门一次", "owner": "本人", "deadline": f"{YEAR}-12-31", "expected": "老人有人照应"}


@pytest.fixture
def community(seeded):
    with seeded.app_context():
        sq = org("SQ01")
        member = make_member(name="新党员甲", organisation=sq, categories=["无职党员"])
        cadre = make_member(name="新干部乙", organisation=sq, categories=["党员领导干部"])
        old = Pledge.objects(scope="member", organisation=sq, state="draft").first()
        return {"sq": sq, "member": member, "cadre": cadre, "old": old}


def test_admin_adds_required_field_and_clerk_must_fill_it(login_as, seeded, community):
    admin = login_as("admin")
    with seeded.app_context():
        before = current_template(COMMUNITY_MEMBER)
    response = add_field_in_admin(admin, before, key="volunteer_hours", label="全年志愿服务时长（小时）",
                                  type="number", section="实事承诺", order="9", required="y", min_value="1")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with seeded.app_context():
        after = current_template(COMMUNITY_MEMBER)
        assert after.number == before.number + 1, "a used template becomes a new version"
        assert after.field("volunteer_hours").required

    clerk = login_as("sq_clerk")
    url, html = member_pledge_form(clerk, community["member"], community["sq"])
    assert "全年志愿服务时长（小时）" in html
    response = submit(clerk, url, html, {"v_louyuan": "5号楼", "v_post_duty": "楼院联络员"}, [ITEM, ITEM])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "此项必填" in page
    assert "为3号楼独居老人每周上门一次" in page, "what the clerk typed is kept"
    with seeded.app_context():
        assert Pledge.objects(member=community["member"].pk).count() == 0

    response = submit(clerk, url, html, {"v_louyuan": "5号楼", "v_post_duty": "楼院联络员",
                                         "v_volunteer_hours": "48"}, [ITEM, ITEM])
    assert response.status_code == 302
    with seeded.app_context():
        pledge = Pledge.objects(member=community["member"].pk).first()
        assert pledge.values["volunteer_hours"] == 48 and pledge.template.pk == after.pk
        assert AuditEntry.objects(record_id=pledge.pk, action="新建承诺").count() == 1


def test_pledge_made_before_the_edit_keeps_its_version(login_as, seeded, community):
    admin, clerk = login_as("admin"), login_as("sq_clerk")
    old = community["old"]
    with seeded.app_context():
        add_field_in_admin(admin, current_template(COMMUNITY_MEMBER), key="volunteer_hours", label="志愿时长",
                           type="number", section="实事承诺", required="y")
    edit = f"/admin/pledge/edit/?id={old.pk}"
    html = clerk.get(edit).get_data(as_text=True)
    assert "志愿时长" not in html and "联系服务楼院" in html
    pairs = [(k, "6号楼" if k == "v_louyuan" else v) for k, v in form_data(html) if k != "search"]
    assert clerk.client.post(edit, data=as_multidict(pairs)).status_code == 302
    with seeded.app_context():
        pledge = Pledge.objects(pk=old.pk).first()
        assert pledge.values["louyuan"] == "6号楼" and pledge.template.pk == old.template.pk
    details = clerk.get(f"/admin/pledge/details/?id={old.pk}").get_data(as_text=True)
    assert "6号楼" in details and "第1版" in details


def test_retired_field_value_still_shows(login_as, seeded, community):
    old = community["old"]
    with seeded.app_context():
        template = old.template
        for field in template.fields:
            if field.key == "louyuan":
                field.retired = True
        PledgeTemplate.objects(pk=template.pk).update_one(set__fields=template.fields)
        stored = Pledge.objects(pk=old.pk).first().values["louyuan"]
    clerk = login_as("sq_clerk")
    details = clerk.get(f"/admin/pledge/details/?id={old.pk}").get_data(as_text=True)
    assert "联系服务楼院（已停用）" in details and stored in details
    edit = f"/admin/pledge/edit/?id={old.pk}"
    html = clerk.get(edit).get_data(as_text=True)
    assert 'name="v_louyuan"' not in html
    clerk.client.post(edit, data=as_multidict([(k, v) for k, v in form_data(html) if k != "search"]))
    with seeded.app_context():
        assert Pledge.objects(pk=old.pk).first().values["louyuan"] == stored, "retired data is never dropped"


def test_leading_cadre_needs_more_items(login_as, seeded, community):
    clerk = login_as("sq_clerk")
    url, html = member_pledge_form(clerk, community["cadre"], community["sq"])
    page = submit(clerk, url, html, {"v_louyuan": "1号楼", "v_post_duty": "副主任"}, [ITEM, ITEM]).get_data(as_text=True)
    assert "至少要填写 3 条承诺事项（现有 2 条）" in page
    with seeded.app_context():
        assert Pledge.objects(member=community["cadre"].pk).count() == 0
    assert submit(clerk, url, html, {"v_louyuan": "1号楼", "v_post_duty": "副主任"}, [ITEM] * 3).status_code == 302


@pytest.mark.parametrize("org_code,overrides,message", [
    ("QY01", {"v_production_task": "完成生产任务", "v_post_duty": "车间主任"}, None),
])
def test_enterprise_template_is_used_for_enterprise_members(login_as, seeded, org_code, overrides, message):
    with seeded.app_context():
        qy = org(org_code)
        member = make_member(name="企业新党员", organisation=qy)
    clerk = login_as("qy_clerk")
    url, html = member_pledge_form(clerk, member, qy)
    assert "生产经营任务" in html and "联系服务楼院" not in html
    assert submit(clerk, url, html, overrides, [ITEM, ITEM]).status_code == 302


@pytest.mark.parametrize("org_code,field,value,expected", [
    ("QY01", "v_production_target", "五千万", "请填写数字"),
    ("SY01", "v_training_times", "500", "不能大于 100"),
])
def test_wrong_types_are_refused_and_nothing_is_saved(login_as, seeded, org_code, field, value, expected):
    admin = login_as("admin")
    with seeded.app_context():
        organisation = org(org_code)
        Pledge.objects(scope="org", organisation=organisation, year=YEAR + 1).delete()
    url = f"/admin/pledge/new/?organisation={organisation.pk}&year={YEAR + 1}"
    html = admin.get(url).get_data(as_text=True)
    filled = {k: "有内容" for k, _v in form_data(html) if k.startswith("v_") and k not in ("v_consulted",)}
    filled.update({"v_practical_count": "5", "v_production_target": "100", "v_training_times": "4", field: value})
    page = submit(admin, url, html, filled, [ITEM] * 3).get_data(as_text=True)
    assert expected in page
    with seeded.app_context():
        assert Pledge.objects(organisation=organisation, year=YEAR + 1).count() == 0


def test_option_not_in_list_and_date_out_of_range_are_refused(login_as, seeded):
    with seeded.app_context():
        sy = org("SY01")
        member = make_member(name="医生丙", organisation=sy)
        template = current_template("事业单位党员公开承诺")
        for f in template.fields:
            if f.key == "skill":
                f.retired = False
        template.fields.append(type(template.fields[0])(key="start_on", label="开始日期", type="date",
                               section="履职承诺", min_date=__import__("datetime").date(2026, 1, 1)))
        template.save()
    clerk = login_as("admin")
    url, html = member_pledge_form(clerk, member, sy)
    page = submit(clerk, url, html, {"v_skill": "出国考察", "v_post_duty": "医生", "v_start_on": "2025-06-01"},
                  [ITEM, ITEM]).get_data(as_text=True)
    assert "“出国考察”不是可选项" in page and "不能早于 2026-01-01" in page
    with seeded.app_context():
        assert Pledge.objects(member=member.pk).count() == 0


def test_template_validation_messages(login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        template = current_template(COMMUNITY_MEMBER)
    page = add_field_in_admin(admin, template, key="louyuan", label="重复", type="choice",
                              section="实事承诺").get_data(as_text=True)
    assert "字段代码“louyuan”重复" in page or "代码“louyuan”重复" in page
    assert "是选择题，但没有填写选项" in page
    page = add_field_in_admin(admin, template, key="Bad Key", label="坏", type="number", section="不存在的分组",
                              min_value="10", max_value="1").get_data(as_text=True)
    assert "字段代码“Bad Key”无效" in page and "分组“不存在的分组”不存在" in page and "最小值大于最大值" in page


def test_template_editor_offers_its_sections_and_pinyin_field_codes(login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        template = current_template(COMMUNITY_MEMBER)
    page = admin.get(f"/admin/template/edit/?id={template.pk}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="fields-0-section"[^>]*>(.*?)</select>', page, re.S)[1]
    assert re.findall(r"<option[^>]*>([^<]+)</option>", select) == ["—", *template.sections]
    assert "template_keys.js" in page
    taken = [f.key for f in template.fields] + ["bangfukunnanhushu"]
    assert admin.get("/admin/template/key.json", query_string={"label": "帮扶困难户数", "taken": taken}).get_json() == \
        {"key": "bangfukunnanhushu_2"}
    response = add_field_in_admin(admin, template, key="", label="帮扶困难户数", type="number", section=template.sections[-1])
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    with seeded.app_context():
        added = next(f for f in current_template(COMMUNITY_MEMBER).fields if f.label == "帮扶困难户数")
        assert added.key == "bangfukunnanhushu" and added.section == template.sections[-1]


def test_oral_pledge_records_who_and_when(login_as, seeded):
    with seeded.app_context():
        sq = org("SQ01")
        retired = make_member(name="退休丁", organisation=sq, categories=["离退休"])
        young = make_member(name="年轻戊", organisation=sq)
    clerk = login_as("sq_clerk")
    url, html = member_pledge_form(clerk, retired, sq)
    assert "口头承诺" in html
    assert submit(clerk, url, html, {"v_louyuan": "2号楼", "v_post_duty": "退休", "oral": "y"},
                  [ITEM, ITEM]).status_code == 302
    with seeded.app_context():
        pledge = Pledge.objects(member=retired.pk).first()
        assert pledge.oral and pledge.recorded_by.startswith("周婷") and pledge.recorded_at
    url, html = member_pledge_form(clerk, young, sq)
    assert "口头承诺" not in html
    page = submit(clerk, url, html, {"v_louyuan": "2号楼", "v_post_duty": "职工", "oral": "y"},
                  [ITEM, ITEM]).get_data(as_text=True)
    assert "只有离退休、年老体弱党员可以口头承诺" in page


def test_in_service_member_pledges_at_work_and_at_community(login_as, seeded):
    with seeded.app_context():
        qy, sq = org("QY01"), org("SQ01")
        member = make_member(name="双报到己", organisation=qy, categories=["在职党员"], residential_org=sq)
    qy_clerk = login_as("qy_clerk")
    url, html = member_pledge_form(qy_clerk, member, qy)
    assert submit(qy_clerk, url, html, {"v_production_task": "完成任务", "v_post_duty": "工程师"},
                  [ITEM, ITEM]).status_code == 302
    clerk = login_as("sq_clerk")
    url, html = member_pledge_form(clerk, member, sq)
    assert "联系服务楼院" in html
    assert submit(clerk, url, html, {"v_louyuan": "7号楼", "v_post_duty": "工程师"}, [ITEM, ITEM]).status_code == 302
    with seeded.app_context():
        pledges = Pledge.objects(member=member.pk, year=YEAR)
        assert sorted(p.template.name for p in pledges) == ["企业党员公开承诺", "社区党员公开承诺"]


def test_list_filters_and_search_inside_values(login_as, seeded):
    clerk = login_as("sq_clerk")

    def rows(url, who=clerk):
        return len(re.findall(r"/admin/pledge/details/\?id=", who.get(url).get_data(as_text=True)))

    assert rows("/admin/pledge/?search=独居老人") > 0
    assert rows("/admin/pledge/?search=王树林") == 0, "机关 pledges name him, but they are not SQ01's"
    reviewer = login_as("jd_reviewer")
    assert rows("/admin/pledge/?search=王树林", reviewer) > 0
    assert rows("/admin/pledge/?search=3号楼1-3单元") > 0, "finds text inside template field values"
    assert 0 < rows(f"/admin/pledge/?flt1_1={YEAR - 1}") < rows("/admin/pledge/")


def test_coverage_page_links_to_new_pledges(login_as, seeded):
    with seeded.app_context():
        sq = org("SQ01")
        members = unpledged_members(sq.pk, YEAR)
        missing = [(m["name"], f"member={m['_id']}") for m in members]
    html = login_as("sq_clerk").get(f"/admin/pledge/coverage/?organisation={sq.pk}&year={YEAR}").get_data(as_text=True)
    assert missing, "the demo data leaves some members without a pledge, so the page has rows to check"
    assert f"尚未承诺的党员（{len(missing)} 人）" in html
    for name, link in missing:
        assert name in html and link in html


def test_clerk_cannot_open_another_organisations_pledge_or_form(login_as, seeded):
    with seeded.app_context():
        qy = org("QY01")
        pledge = Pledge.objects(organisation=qy).first()
        member = Member.objects(organisation=qy).first()
    clerk = login_as("sq_clerk")
    assert clerk.get(f"/admin/pledge/details/?id={pledge.pk}").status_code == 404
    assert clerk.get(f"/admin/pledge/edit/?id={pledge.pk}").status_code == 404
    assert clerk.get(f"/admin/pledge/new/?organisation={qy.pk}&year={YEAR}").status_code == 404
    assert clerk.get(f"/admin/pledge/new/?organisation={org_id(seeded)}&member={member.pk}").status_code == 404


def org_id(app):
    with app.app_context():
        return org("SQ01").pk


def test_locked_pledge_cannot_be_edited(login_as, seeded):
    with seeded.app_context():
        pledge = Pledge.objects(organisation=org("SQ01"), state="published").first()
    clerk = login_as("sq_clerk")
    response = clerk.get(f"/admin/pledge/edit/?id={pledge.pk}")
    assert response.status_code == 302
    assert "已锁定" in clerk.get(response.headers["Location"]).get_data(as_text=True)
