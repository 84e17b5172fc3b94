"""Deleting one pledge from its row of the list: the browser asks first, and only a confirmed click deletes it."""
from playwright.sync_api import expect

from documents import AuditEntry, Pledge
from tests.factories import org
from tests.test_query_shapes import _add_members_with_pledges


def test_a_clerk_deletes_a_draft_from_its_list_row_only_after_confirming(seeded, pages):
    with seeded.app_context():
        branch = org("SQ01")
        _add_members_with_pledges(1, branch)
        draft = Pledge.objects(organisation=branch.pk, member_name="加测党员").first().pk
    clerk = pages.new("sq_clerk")
    clerk.goto(f"/admin/pledge/?org={branch.pk}")
    checkbox = clerk.locator(f"input[name=rowid][value='{draft}']")
    row = clerk.locator("tr", has=checkbox)
    asked = []
    clerk.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_title("删除记录").click()
    clerk.wait_for_load_state("load")
    assert asked == ["你确定要删除这条记录吗？"], "the browser asks before deleting"
    with seeded.app_context():
        assert Pledge.objects(pk=draft).first() is not None, "cancelled: the pledge stays"

    clerk.once("dialog", lambda dialog: dialog.accept())
    row.get_by_title("删除记录").click()
    expect(clerk.locator(".alert-success")).to_contain_text("1 条记录被成功删除")
    expect(checkbox).to_have_count(0)
    expect(clerk.locator("#walk-org")).to_be_visible()  # back on the same list
    with seeded.app_context():
        assert Pledge.objects(pk=draft).first() is None
        assert AuditEntry.objects(record_id=draft, action="删除").count() == 1
