"""Organisations: the tree, codes, moving a branch, deletion rules, optimistic locking."""
from documents import Member
from tests.factories import make_org, org


def test_moving_an_organisation_moves_its_subtree(seeded):
    with seeded.app_context():
        sq = org("SQ01")
        grid = make_org(name="第一网格党小组", code="SQ01-W1", parent=sq)
        qy = org("QY01")
        sq.parent = qy
        sq.save_checked(sq.version)
        grid.reload()
        assert grid.ancestors == [org("JD01").pk, qy.pk, sq.pk]
        assert grid.pk in qy.subtree_ids


def test_an_organisation_cannot_be_its_own_ancestor(login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        jd, sq = org("JD01"), org("SQ01")
        form = {"name": jd.name, "code": jd.code, "level": jd.level, "org_type": jd.org_type,
                "parent": str(sq.pk), "expected_version": jd.version}
    edit = f"/admin/organisation/edit/?id={jd.pk}"
    html = admin.post(edit, form, token_from=edit).get_data(as_text=True)
    assert "上级组织不能是本组织或其下级组织" in html
    with seeded.app_context():
        assert org("JD01").parent is None


def test_clerk_creates_a_sub_organisation_with_a_new_type(login_as, seeded):
    admin = login_as("admin")
    admin.post("/admin/vocabulary/new/", {"kind": "org_type", "label": "网格", "order": "20", "active": "y"},
               token_from="/admin/vocabulary/new/")
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
    html = clerk.get("/admin/organisation/new/").get_data(as_text=True)
    assert "网格" in html
    response = clerk.post("/admin/organisation/new/", {"name": "幸福里第二网格党小组", "code": "sq01-w2",
                          "level": "党支部", "org_type": "网格", "parent": str(sq.pk)},
                          token_from="/admin/organisation/new/")
    assert response.status_code == 302
    with seeded.app_context():
        assert org("SQ01-W2").parent.pk == sq.pk


def test_clerk_cannot_edit_own_organisation_record(login_as, seeded):
    with seeded.app_context():
        sq = org("SQ01")
    assert login_as("sq_clerk").get(f"/admin/organisation/edit/?id={sq.pk}").status_code == 403


def test_duplicate_code_is_explained(login_as, seeded):
    admin = login_as("admin")
    html = admin.post("/admin/organisation/new/", {"name": "重复", "code": "SQ01", "level": "党支部",
                      "org_type": "社区"}, token_from="/admin/organisation/new/").get_data(as_text=True)
    assert "组织代码已存在" in html


def test_organisation_with_members_cannot_be_deleted(login_as, seeded):
    admin = login_as("admin")
    with seeded.app_context():
        sq = org("SQ01")
    admin.post("/admin/organisation/delete/", {"id": str(sq.pk), "url": "/admin/organisation/"},
               token_from="/admin/organisation/")
    html = admin.get("/admin/organisation/").get_data(as_text=True)
    assert "不能删除" in html and "还有党员" in html
    with seeded.app_context():
        assert org("SQ01") is not None


def test_stale_edit_is_refused_and_input_is_kept(login_as, seeded):
    clerk_a, clerk_b = login_as("sq_clerk"), login_as("sq_clerk")
    with seeded.app_context():
        member = Member.objects(organisation=org("SQ01")).first()
        base = {"name": member.name, "id_number": member.id_number, "organisation": str(member.organisation.pk),
                "status": "在册", "expected_version": member.version}
    edit = f"/admin/member/edit/?id={member.pk}"
    assert clerk_a.post(edit, {**base, "post": "甲改的岗位"}, token_from=edit).status_code == 302
    response = clerk_b.post(edit, {**base, "post": "乙改的岗位"}, token_from=edit)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已被他人修改" in html and "乙改的岗位" in html
    with seeded.app_context():
        assert Member.objects(pk=member.pk).first().post == "甲改的岗位"


def test_invalid_id_number_is_shown_next_to_the_field(login_as, seeded):
    clerk = login_as("sq_clerk")
    with seeded.app_context():
        sq = org("SQ01")
    html = clerk.post("/admin/member/new/", {"name": "错号", "id_number": "110105198001010000",
                      "organisation": str(sq.pk), "status": "在册"}, token_from="/admin/member/new/").get_data(as_text=True)
    assert "身份证号校验位不正确" in html and 'value="错号"' in html
    with seeded.app_context():
        assert Member.objects(name="错号").first() is None


def test_member_list_masks_id_numbers(login_as, seeded):
    with seeded.app_context():
        member = Member.objects(organisation=org("SQ01")).first()
    html = login_as("sq_clerk").get("/admin/member/").get_data(as_text=True)
    assert member.masked_id in html and member.id_number not in html


def test_failed_save_message_is_chinese(login_as):
    html = login_as("sq_clerk").post("/admin/member/new/", {"name": "", "status": "在册"},
                                     token_from="/admin/member/new/").get_data(as_text=True)
    assert "未能保存" in html and "Failed to create record" not in html


def test_two_concurrent_saves_of_one_version_exactly_one_wins(seeded):
    import threading

    from documents.base import StaleRecord
    with seeded.app_context():
        member_id = Member.objects(organisation=org("SQ01")).first().pk
    results, barrier = [], threading.Barrier(2)

    def save(post):
        with seeded.app_context():
            member = Member.objects(pk=member_id).first()
            member.post = post
            barrier.wait()
            try:
                member.save_checked(member.version)
                results.append(post)
            except StaleRecord:
                results.append("stale")

    threads = [threading.Thread(target=save, args=(p,)) for p in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results.count("stale") == 1
    with seeded.app_context():
        assert Member.objects(pk=member_id).first().post in ("甲", "乙")
