"""A clerk of 幸福里社区 (SQ01) sees nothing of 城东机械 (QY01), on every path Flask-Admin offers."""
import pytest

from documents import AuditEntry, Member, Organisation
from tests.factories import make_member, org


@pytest.fixture
def ids(seeded):
    with seeded.app_context():
        qy, sq = org("QY01"), org("SQ01")
        return {
            "qy_org": str(qy.pk), "sq_org": str(sq.pk), "jd_org": str(org("JD01").pk),
            "qy_member": str(Member.objects(organisation=qy).first().pk),
            "qy_member_name": Member.objects(organisation=qy).first().name,
            "qy_member_masked": Member.objects(organisation=qy).first().masked_id,
            "sq_member": str(Member.objects(organisation=sq).first().pk),
        }


def test_list_shows_only_own_members(login_as, ids):
    html = login_as("sq_clerk").get("/admin/member/").get_data(as_text=True)
    assert "幸福里社区党支部" in html and "城东机械制造" not in html


@pytest.mark.parametrize("path", [
    "/admin/member/details/?id={qy_member}",
    "/admin/member/edit/?id={qy_member}",
    "/admin/organisation/details/?id={qy_org}",
    "/admin/organisation/edit/?id={qy_org}",
    "/admin/member/details/?id=not-an-id",
])
def test_direct_urls_to_other_organisations_answer_404(login_as, ids, path):
    response = login_as("sq_clerk").get(path.format(**ids))
    assert response.status_code == 404
    assert ids["qy_member_name"] not in response.get_data(as_text=True)


def test_delete_of_another_organisations_member_does_nothing(login_as, ids, seeded):
    clerk = login_as("sq_clerk")
    response = clerk.post("/admin/member/delete/", {"id": ids["qy_member"], "url": "/admin/member/"},
                          token_from="/admin/member/")
    assert response.status_code == 404
    with seeded.app_context():
        assert Member.objects(pk=ids["qy_member"]).first() is not None


def test_bulk_delete_action_skips_other_organisations(login_as, ids, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        own = str(make_member().pk)  # a member without pledges, which may be deleted
    clerk.post("/admin/member/action/", {"action": "delete", "rowid": [ids["qy_member"], own],
                                         "url": "/admin/member/"}, token_from="/admin/member/")
    with seeded.app_context():
        assert Member.objects(pk=ids["qy_member"]).first() is not None
        assert Member.objects(pk=own).first() is None


def test_search_and_filters_cannot_reach_other_organisations(login_as, ids):
    clerk = login_as("sq_clerk")
    name = ids["qy_member_name"]
    assert ids["qy_member_masked"] not in clerk.get(f"/admin/member/?search={name}").get_data(as_text=True)
    html = clerk.get(f"/admin/member/?flt0_0={ids['qy_org']}").get_data(as_text=True)
    assert ids["qy_member_masked"] not in html and "城东机械制造" not in html
    html = clerk.get(f"/admin/member/?flt0_0={ids['jd_org']}").get_data(as_text=True)
    assert "城东机械制造" not in html


def test_filter_and_form_dropdowns_list_only_own_organisations(login_as):
    clerk = login_as("sq_clerk")
    for path in ("/admin/member/", "/admin/member/new/", "/admin/organisation/new/"):
        html = clerk.get(path).get_data(as_text=True)
        assert "城东机械制造" not in html and "城东街道党工委" not in html, path


def test_creating_a_member_in_another_organisation_is_refused(login_as, ids, seeded):
    clerk = login_as("sq_clerk")
    response = clerk.post("/admin/member/new/", {
        "name": "越权张三", "id_number": "11010519491231002X", "organisation": ids["qy_org"], "status": "在册"},
        token_from="/admin/member/new/")
    assert response.status_code == 200
    assert "请从列表中选择" in response.get_data(as_text=True)
    with seeded.app_context():
        assert Member.objects(name="越权张三").first() is None


def test_editing_own_member_cannot_move_them_to_another_organisation(login_as, ids, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        member = Member.objects(pk=ids["sq_member"]).first()
        form = {"name": member.name, "id_number": member.id_number, "organisation": ids["qy_org"],
                "status": "在册", "expected_version": member.version}
    edit = f"/admin/member/edit/?id={ids['sq_member']}"
    clerk.post(edit, form, token_from=edit)
    with seeded.app_context():
        assert str(Member.objects(pk=ids["sq_member"]).first().organisation.pk) == ids["sq_org"]


def test_export_contains_only_own_members(login_as, ids):
    from io import BytesIO

    from openpyxl import load_workbook
    data = login_as("sq_clerk").get("/admin/member/export.xlsx").data
    rows = list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "姓名"
    assert {r[6] for r in rows[1:]} == {"SQ01"}


@pytest.mark.parametrize("path", [
    "/admin/member/ajax/lookup/?name=organisation&query=城东",
    "/admin/member/api/file/?id=000000000000000000000000&coll=fs",
])
def test_ajax_and_file_endpoints_are_closed(login_as, path):
    assert login_as("sq_clerk").get(path).status_code == 404


def test_admin_only_views_are_forbidden_to_clerks(login_as):
    clerk = login_as("sq_clerk")
    for path in ("/admin/user/", "/admin/audit/", "/admin/vocabulary/"):
        assert clerk.get(path).status_code == 403


def test_reviewer_of_the_street_sees_all_branches_but_cannot_edit(login_as, ids):
    reviewer = login_as("jd_reviewer")
    html = reviewer.get("/admin/member/").get_data(as_text=True)
    assert "城东机械制造" in html and "幸福里社区党支部" in html
    assert reviewer.get(f"/admin/member/edit/?id={ids['qy_member']}").status_code in (302, 403)


def test_tree_shows_only_own_subtree(login_as):
    html = login_as("sq_clerk").get("/admin/orgtree/").get_data(as_text=True)
    assert "幸福里社区党支部" in html and "城东机械制造" not in html
    html = login_as("jd_reviewer").get("/admin/orgtree/").get_data(as_text=True)
    for name in ("城东街道党工委", "幸福里社区党支部", "城东机械制造", "城东社区卫生服务中心", "机关党支部", "联合党支部"):
        assert name in html


def test_changes_are_audited(login_as, ids, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        member = Member.objects(pk=ids["sq_member"]).first()
        old_post = member.post
        form = {"name": member.name, "id_number": member.id_number, "organisation": ids["sq_org"],
                "status": "在册", "post": "楼院长（新）", "expected_version": member.version}
    edit = f"/admin/member/edit/?id={ids['sq_member']}"
    assert clerk.post(edit, form, token_from=edit).status_code == 302
    with seeded.app_context():
        entry = AuditEntry.objects(record_id=Member.objects(pk=ids["sq_member"]).first().pk).first()
        assert entry.action == "修改" and entry.actor.startswith("周婷")
        assert entry.before["post"] == old_post and entry.after["post"] == "楼院长（新）"
        assert Organisation.objects(code="SQ01").first() is not None


def test_enterprise_clerk_can_name_a_residential_community_outside_their_tree(login_as, ids, seeded):
    clerk = login_as("qy_clerk")
    html = clerk.get("/admin/member/new/").get_data(as_text=True)
    assert "幸福里社区党支部" in html
    response = clerk.post("/admin/member/new/", {
        "name": "在职新党员", "id_number": "11010519491231002X", "organisation": ids["qy_org"],
        "categories": "在职党员", "residential_org": ids["sq_org"], "status": "在册"}, token_from="/admin/member/new/")
    assert response.status_code == 302
    with seeded.app_context():
        assert Member.objects(name="在职新党员").first().residential_org.code == "SQ01"
