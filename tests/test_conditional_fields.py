"""Template fields shown only for some member categories or when another field has a value: form, server, versions."""
import re

import pytest
from mongoengine import ValidationError

from documents import Pledge, PledgeTemplate
from tests.clock import YEAR
from tests.factories import make_member, org
from tests.htmlform import as_multidict, form_data
from tests.test_exports import pdf_text
from tests.test_templates_and_pledges import ITEM, member_pledge_form, submit

ENTERPRISE_MEMBER = "企业党员公开承诺"
FILLED = {"v_production_task": "完成本班组生产计划", "v_post_duty": "车间主任"}


def row_hidden(html, key):
    """Whether the pledge form renders the row of template field `key` hidden."""
    match = re.search(rf'<div data-pd-row="{key}"[^>]*>', html)
    assert match, f"no row for {key}"
    return match.group(0).endswith(" hidden>")


@pytest.fixture
def enterprise(seeded):
    with seeded.app_context():
        qy, home = org("QY01"), org("SQ01")
        return {"qy": qy,
                "working": make_member(name="在职甲", organisation=qy, categories=["在职党员"], residential_org=home),
                "working2": make_member(name="在职乙", organisation=qy, categories=["在职党员"], residential_org=home),
                "retired": make_member(name="退休丙", organisation=qy, categories=["离退休"])}


def test_fields_shown_and_checked_only_when_their_conditions_hold(login_as, seeded, enterprise):
    clerk, qy = login_as("qy_clerk"), enterprise["qy"]

    # An in-service member: the yes/no is shown; ticking it reveals 居住地社区, which is then required and checked.
    url, html = member_pledge_form(clerk, enterprise["working"], qy)
    assert not row_hidden(html, "reported") and row_hidden(html, "home_community")
    page = submit(clerk, url, html, {**FILLED, "v_reported": "y", "v_home_community": ""}, [ITEM, ITEM])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "此项必填" in text
    assert not row_hidden(text, "home_community"), "re-shown with the revealed field still shown"
    assert "完成本班组生产计划" in text, "what was typed elsewhere is kept"
    page = submit(clerk, url, html, {**FILLED, "v_reported": "y", "v_home_community": "幸" * 41}, [ITEM, ITEM])
    assert "不能超过 40 个字" in page.get_data(as_text=True)
    assert submit(clerk, url, html, {**FILLED, "v_reported": "y", "v_home_community": "幸福里社区",
                                     "v_home_post": "楼院长"}, [ITEM, ITEM]).status_code == 302

    # The same member's colleague has not reported: 居住地社区 is not required, and a posted value is dropped.
    url, html = member_pledge_form(clerk, enterprise["working2"], qy)
    assert submit(clerk, url, html, {**FILLED, "v_home_community": "幸" * 41, "v_home_post": "文明劝导员"},
                  [ITEM, ITEM]).status_code == 302

    # A retired member never sees the residence fields; whatever is posted for them is neither checked nor kept.
    url, html = member_pledge_form(clerk, enterprise["retired"], qy)
    assert row_hidden(html, "reported") and row_hidden(html, "home_community")
    assert submit(clerk, url, html, {**FILLED, "v_reported": "y", "v_home_community": "幸" * 41},
                  [ITEM, ITEM]).status_code == 302

    with seeded.app_context():
        working, working2, retired = (Pledge.objects(member=enterprise[k].pk).first()
                                      for k in ("working", "working2", "retired"))
        assert working.values["reported"] is True and working.values["home_community"] == "幸福里社区"
        assert working2.values["reported"] is False and "home_community" not in working2.values
        assert "home_post" not in working2.values
        assert not {"reported", "home_community"} & set(retired.values)
        assert retired.values["production_task"] == "完成本班组生产计划"
    details = {k: clerk.get(f"/admin/pledge/details/?id={p.pk}").get_data(as_text=True)
               for k, p in (("working", working), ("working2", working2), ("retired", retired))}
    assert "居住地社区" in details["working"] and "幸福里社区" in details["working"]
    assert "已到居住地社区报到" in details["working2"] and "居住地社区<" not in details["working2"]
    assert "居住地社区" not in details["retired"] and "完成本班组生产计划" in details["retired"]
    letters = {k: pdf_text(clerk.get(f"/admin/pledge/pdf/?id={p.pk}").data) for k, p in (("working", working),
                                                                                      ("retired", retired))}
    assert "幸福里社区" in letters["working"] and "居住地" not in letters["retired"]


def edit_pairs(admin, template):
    """The template's edit form as submitted pairs, and the form index of each field code."""
    pairs = [(k, v) for k, v in form_data(admin.get(f"/admin/template/edit/?id={template.pk}").get_data(as_text=True))
             if k != "search"]
    index = {v: int(k.split("-")[1]) for k, v in pairs if re.fullmatch(r"fields-\d+-key", k)}
    return pairs, index


def with_changes(pairs, changes):
    """The pairs with each (name, value) of `changes` replacing every earlier value of that name."""
    names = {k for k, _v in changes}
    return [(k, v) for k, v in pairs if k not in names] + list(changes)


def test_conditions_edited_in_admin_are_checked_and_versioned(login_as, seeded, enterprise):
    admin, clerk = login_as("admin"), login_as("qy_clerk")
    with seeded.app_context():
        before = PledgeTemplate.objects(name=ENTERPRISE_MEMBER, current=True).first()
        used = Pledge.objects(template=before.pk, values__home_community="幸福里社区").first()
    assert used is not None, "the demo has an in-service member's pledge of this version"
    url = f"/admin/template/edit/?id={before.pk}"
    pairs, index = edit_pairs(admin, before)
    assert 'name="fields-0-show_categories"' in admin.get(url).get_data(as_text=True)

    new = len(index)
    nonsense = with_changes(pairs, [
        (f"fields-{new}-label", "报到方式"), (f"fields-{new}-key", "how"), (f"fields-{new}-type", "choice"),
        (f"fields-{new}-section", "实事承诺"), (f"fields-{new}-options_text", "线上\n线下"),
        (f"fields-{new}-show_field", "reported"), (f"fields-{new}-show_values", "是"),
        (f"fields-{index['reported']}-show_field", "how"), (f"fields-{index['reported']}-show_values", "线上"),
        (f"fields-{index['home_post']}-show_values", "也许"),
        (f"fields-{index['production_task']}-show_field", "production_task"),
        (f"fields-{index['production_task']}-show_values", "是"),
        (f"fields-{index['post_duty']}-show_field", "nosuch"), (f"fields-{index['post_duty']}-show_values", "是"),
    ])
    page = admin.client.post(url, data=as_multidict(nonsense))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "未能保存，请按标红的提示修改后再提交。" in text
    for key, message in (
        ("reported", "字段“已到居住地社区报到”的显示条件：循环：“已到居住地社区报到” → “报到方式” → “已到居住地社区报到”"),
        ("home_post", "字段“在居住地认领的服务岗位”的显示条件：“也许”不是“已到居住地社区报到”的可选值（是、否）"),
        ("production_task", "字段“生产经营任务”的显示条件：不能依据字段自己"),
        ("post_duty", "字段“岗位职责”的显示条件：依据的字段“nosuch”不存在"),
    ):
        select = re.search(rf'<select class="([^"]*)" id="fields-{index[key]}-show_field".*?</select>(.*?)</ul>', text, re.S)
        assert "is-invalid" in select[1] and message in select[2], f"{key}: the problem is shown beside its field"
    with seeded.app_context():
        assert PledgeTemplate.objects(name=ENTERPRISE_MEMBER).count() == 1, "nothing saved"
        branch = PledgeTemplate.objects(name="企业党组织公开承诺", current=True).first()
        branch.fields[0].show_categories = ["在职党员"]
        with pytest.raises(ValidationError, match="“党组织公开承诺”不是为某位党员填写的，不能按党员类别显示"):
            branch.clean()

    # Showing 生产经营任务 only to leading cadres: a new version; the pledge of the old one shows as before.
    task = index["production_task"]
    page = admin.client.post(url, data=as_multidict(with_changes(pairs, [(f"fields-{task}-show_categories", "党员领导干部")])))
    assert page.status_code == 302, page.get_data(as_text=True)[-2000:]
    with seeded.app_context():
        after = PledgeTemplate.objects(name=ENTERPRISE_MEMBER, current=True).first()
        assert after.number == before.number + 1 and after.field("production_task").show_categories == ["党员领导干部"]
        assert PledgeTemplate.objects(pk=before.pk).first().field("production_task").show_categories == []
        assert Pledge.objects(pk=used.pk).first().template.pk == before.pk
    details = clerk.get(f"/admin/pledge/details/?id={used.pk}").get_data(as_text=True)
    assert "生产经营任务" in details and "幸福里社区" in details
    _url, html = member_pledge_form(clerk, enterprise["working"], enterprise["qy"], YEAR)
    assert row_hidden(html, "production_task")
